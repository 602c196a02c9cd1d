import { resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { hubAccessFromEnv, type HubAccess } from "./hub/hub-download.ts";
import { pullPackSource, type PullProgress } from "./hub/pull-pack.ts";
import { formatImportProgress } from "./pack-import-command.ts";

/**
 * `infix pack pull <hub-id> [--controlnet <hub-id>[:name]]…`: downloads a diffusers
 * BLIP-Diffusion pipeline (and ControlNets) from the Hugging Face Hub into the models folder,
 * then imports it the way the studio imports a diffusers folder on first use, so the studio
 * lists it ready to use under the folder's name.
 */

export interface PackPullCliOptions {
  controlnet: { repo: string; name?: string }[];
  qformerVocab?: string;
  models?: string;
  name?: string;
  revision?: string;
  precision: "fp32" | "fp16";
  import: boolean;
}

/** A hub repository id: `owner/name` (or a bare `name`, as the hub redirects `bert-base-uncased`). */
const HUB_ID = /^(?:[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]*$/;

/**
 * Parses one `--controlnet <hub-id>[:name]` value and collects repeats in order.
 *
 * @example parseHubControlnet("lllyasviel/sd-controlnet-canny:edges") // [{ repo: "lllyasviel/sd-controlnet-canny", name: "edges" }]
 */
export function parseHubControlnet(
  value: string,
  previous: { repo: string; name?: string }[] = [],
): { repo: string; name?: string }[] {
  const [repo, name, ...rest] = value.split(":");
  if (!HUB_ID.test(repo) || rest.length > 0 || (name !== undefined && !/^[A-Za-z0-9_-]+$/.test(name))) {
    throw new InvalidArgumentError("expected <owner/name>[:name], e.g. lllyasviel/sd-controlnet-canny:canny");
  }
  return [...previous, { repo, ...(name !== undefined && { name }) }];
}

function precisionOption(value: string): "fp32" | "fp16" {
  if (value !== "fp32" && value !== "fp16") throw new InvalidArgumentError("precision is fp32 or fp16");
  return value;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(0)} kB`;
}

/**
 * The download progress line: `[#####---------------]  1.21 GB / 4.80 GB  unet/diffusion_pytorch_model.safetensors`.
 *
 * @example renderDownloadLine({ file: "a", doneBytes: 5e8, totalBytes: 1e9 }, 4) // "[##--]  500.0 MB / 1.00 GB  a"
 */
export function renderDownloadLine(progress: PullProgress, width = 20): string {
  const fraction = progress.totalBytes > 0 ? Math.min(1, progress.doneBytes / progress.totalBytes) : 1;
  const filled = Math.round(fraction * width);
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  return `${bar}  ${formatBytes(progress.doneBytes)} / ${formatBytes(progress.totalBytes)}  ${progress.file}`;
}

/** Where `infix pack pull` writes its text: progress on `err` (rewritten in place on a TTY), results on `out`. */
export interface PullStreams {
  out: (line: string) => void;
  err: (line: string, rewrite?: boolean) => void;
  isTty: boolean;
}

/**
 * Pulls and imports. Returns the exit code: 0 done, 1 failed (the reason on `err`).
 *
 * @example process.exitCode = await pullPack("Salesforce/blipdiffusion", options, hubAccessFromEnv(process.env), streams);
 */
export async function pullPack(
  repo: string,
  options: PackPullCliOptions,
  access: HubAccess,
  streams: PullStreams,
  signal?: AbortSignal,
): Promise<number> {
  const models = resolve(options.models ?? process.env.INFIX_MODELS ?? "models");
  const name = options.name ?? repo.split("/").pop()!;
  const dest = resolve(models, name);
  // Loaded here so other commands never pay for the graph builders.
  const { controlnetName, ensureImported, FileDigestCache, importDiffusersPack } = await import("@infix/nodes");
  try {
    const controlnets = options.controlnet.map((c) => ({
      repo: c.repo,
      name: controlnetName({ folder: c.repo.split("/").pop()!, ...(c.name && { name: c.name }) }),
    }));
    streams.err(`pulling ${repo} from ${access.hubUrl} into ${dest}`);
    let lastDraw = 0;
    let lastFile = "";
    let finished = false;
    await pullPackSource(
      {
        repo,
        controlnets,
        dest,
        ...(options.qformerVocab !== undefined && { qformerVocab: options.qformerVocab }),
        ...(options.revision && { revision: options.revision }),
      },
      access,
      (progress) => {
        const now = performance.now();
        const done = progress.doneBytes === progress.totalBytes;
        // A TTY redraws at most 10 times a second; a log gets a line per file and one at the end.
        const draw = streams.isTty ? now - lastDraw > 100 || done : progress.file !== lastFile || (done && !finished);
        if (!draw) return;
        lastDraw = now;
        lastFile = progress.file;
        finished ||= done;
        streams.err(renderDownloadLine(progress), streams.isTty);
      },
      signal,
    );
    streams.err(`downloaded ${repo} into ${dest}`);
    if (!options.import) {
      streams.out(dest);
      return 0;
    }
    const started = performance.now();
    const pack = await ensureImported({
      source: dest,
      modelsDir: models,
      name,
      digests: new FileDigestCache(),
      importer: (request) => importDiffusersPack(request),
      precision: options.precision,
      onProgress: (event) => streams.err(formatImportProgress(event, (performance.now() - started) / 1000)),
      ...(signal && { signal }),
    });
    streams.err(`imported into ${pack}; the studio lists it as "${name}" (start it with --models ${models})`);
    streams.out(pack);
    return 0;
  } catch (error) {
    streams.err(`pack pull failed: ${(error as Error).message}`);
    return 1;
  }
}

export function addPackPullCommand(pack: Command): void {
  pack
    .command("pull")
    .description("download a diffusers BLIP-Diffusion pipeline from the Hugging Face Hub and import it as a pack")
    .argument("<hub-id>", "the pipeline repository, e.g. Salesforce/blipdiffusion")
    .option(
      "--controlnet <hub-id[:name]>",
      "a ControlNet repository to include (repeatable), e.g. lllyasviel/sd-controlnet-canny",
      parseHubControlnet,
      [],
    )
    .option(
      "--qformer-vocab <vocab.txt>",
      "BERT vocabulary for the Q-Former (default: downloaded from google-bert/bert-base-uncased)",
    )
    .option("--models <dir>", "models folder to pull into (default $INFIX_MODELS or ./models)")
    .option("--name <name>", "folder name under the models folder (default: the repository's name)")
    .option("--revision <rev>", "branch, tag or commit of the pipeline repository (default main)")
    .option(
      "--precision <fp32|fp16>",
      "float precision of the imported graphs (fp16 for GPUs)",
      precisionOption,
      "fp32",
    )
    .option("--no-import", "only download; the studio imports the folder on first use")
    .addHelpText(
      "after",
      "\nHF_ENDPOINT points at a hub mirror, HF_TOKEN authenticates (gated or private repositories).\n" +
        "Run again after an interruption: finished files are kept and a partial file resumes where it stopped.",
    )
    .action(async (repo: string, options: PackPullCliOptions) => {
      if (!HUB_ID.test(repo))
        throw new InvalidArgumentError(`"${repo}" is not a hub id such as Salesforce/blipdiffusion`);
      const controller = new AbortController();
      process.once("SIGINT", () => controller.abort(new Error("interrupted; run the command again to resume")));
      let midLine = false;
      const code = await pullPack(
        repo,
        options,
        hubAccessFromEnv(process.env),
        {
          out: (line) => console.log(line),
          err: (line, rewrite) => {
            process.stderr.write(rewrite ? `\r\x1b[2K${line}` : `${midLine ? "\n" : ""}${line}\n`);
            midLine = rewrite === true;
          },
          isTty: process.stderr.isTTY === true,
        },
        controller.signal,
      );
      if (midLine) process.stderr.write("\n");
      process.exit(code);
    });
}

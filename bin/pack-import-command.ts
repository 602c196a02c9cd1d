import { existsSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import type { ControlnetSource, ImportProgress } from "@infix/nodes";

/** `infix pack import`'s options as commander parses them. */
export interface PackImportCliOptions {
  controlnet: ControlnetSource[];
  precision: "fp32" | "fp16";
  out?: string;
  models?: string;
  qformerVocab?: string;
}

/**
 * Parses one `--controlnet <folder>[:name]` value. A trailing `:name` (letters, digits, - and _)
 * names the ControlNet in the pack unless the whole value is itself an existing folder.
 *
 * @example parseControlnetOption("downloads/sd-controlnet-canny:edges") // { folder: "downloads/sd-controlnet-canny", name: "edges" }
 */
export function parseControlnetOption(value: string, previous: ControlnetSource[] = []): ControlnetSource[] {
  const named = /^(.+):([A-Za-z0-9_-]+)$/.exec(value);
  const isFolder = (path: string) => existsSync(path) && statSync(path).isDirectory();
  const source = named && !isFolder(value) ? { folder: named[1], name: named[2] } : { folder: value };
  return [...previous, source];
}

function precision(value: string): "fp32" | "fp16" {
  if (value !== "fp32" && value !== "fp16") throw new InvalidArgumentError("precision is fp32 or fp16");
  return value;
}

/** Where the pack goes when `--out` is not given: `<models>/<source folder name>`. */
export function defaultPackFolder(source: string, models: string | undefined): string {
  return join(resolve(models ?? process.env.INFIX_MODELS ?? "models"), basename(resolve(source)));
}

/** The line printed as an import moves through its components. */
export function formatImportProgress(event: ImportProgress, seconds: number): string {
  const position = `[${event.index + 1}/${event.total}]`;
  return event.state === "started"
    ? `${position} ${event.component}…`
    : `${position} ${event.component} done (${seconds.toFixed(2)} s)`;
}

export function addPackImportCommand(pack: Command): void {
  pack
    .command("import")
    .description("turn a diffusers BLIP-Diffusion folder (model_index.json, configs, weights) into a model pack")
    .argument("<diffusers-folder>", "the pipeline folder, as BlipDiffusionPipeline.save_pretrained writes it")
    .option(
      "--controlnet <folder[:name]>",
      "a diffusers ControlNetModel folder to include (repeatable); :name names it in the pack",
      parseControlnetOption,
      [],
    )
    .option("--precision <fp32|fp16>", "float precision of the written graphs", precision, "fp32")
    .option("--out <folder>", "the pack folder to create (default <models>/<diffusers-folder name>)")
    .option("--models <dir>", "models folder for the default --out (default $INFIX_MODELS or ./models)")
    .option("--qformer-vocab <vocab.txt>", "BERT vocabulary for the Q-Former when the folder has no qformer_tokenizer/")
    .action(async (source: string, options: PackImportCliOptions) => {
      // Loaded here so other commands never pay for the graph builders.
      const { importDiffusersPack } = await import("@infix/nodes");
      const out = options.out ? resolve(options.out) : defaultPackFolder(source, options.models);
      const controller = new AbortController();
      process.once("SIGINT", () => controller.abort(new Error("interrupted: nothing was written")));
      const started = performance.now();
      let componentStarted = started;
      const result = await importDiffusersPack({
        source,
        out,
        controlnets: options.controlnet,
        qformerVocab: options.qformerVocab,
        precision: options.precision,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.state === "started") componentStarted = performance.now();
          console.error(formatImportProgress(event, (performance.now() - componentStarted) / 1000));
        },
      });
      const seconds = (performance.now() - started) / 1000;
      console.log(`imported ${basename(resolve(source))} into ${result.dir} in ${seconds.toFixed(2)} s`);
      process.exit(0);
    });
}

import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join, posix, relative, resolve } from "node:path";
import {
  InfixError,
  loadBertTokenizer,
  loadClipTokenizer,
  withoutAbsolutePaths,
  type FloatTensor,
  type TextTokenizer,
} from "@infix/engine";
import { readOnnxSignature, SessionPool, type OnnxGraphSignature } from "@infix/engine/runtime";
import { FileDigestCache, packContentHash } from "./content-hash.ts";
import { packContract, type GraphContract } from "./contract.ts";
import { PackManifestSchema, type PackManifest } from "./manifest.ts";
import { checkGraphSignature } from "./signature.ts";
import type { Feeds, GraphName, ModelPack } from "./types.ts";

/**
 * Loads a model-pack folder: validates manifest.json, checks every graph's inputs and
 * outputs against MODEL_PACK.md's tables (from the files' headers, no sessions), checks
 * that the tokenizer files are there, hashes the content, and returns a `ModelPack` whose
 * `run` goes through the shared session pool. A bad pack fails with a `PackLoadError`
 * listing every problem found, each naming the file and what was expected.
 */

export type PackProblemCode =
  "missing-manifest" | "bad-manifest" | "missing-graph" | "unreadable-graph" | "graph-contract" | "missing-tokenizer";

export interface PackProblem {
  readonly code: PackProblemCode;
  /** Path inside the pack folder. */
  readonly file: string;
  readonly message: string;
  readonly tensor?: string;
  readonly expected?: string;
  readonly found?: string;
}

export class PackLoadError extends Error {
  override readonly name = "PackLoadError";
  constructor(
    readonly dir: string,
    readonly problems: readonly PackProblem[],
  ) {
    super(`model pack '${basename(dir)}' cannot be used:\n${problems.map((p) => `  - ${p.message}`).join("\n")}`);
  }
}

export interface LoadPackOptions {
  /** Pack id; the folder name by default. */
  id?: string;
  /** True for the embedded tiny pack. */
  embedded?: boolean;
  /** The shared session pool; a private one when absent. */
  pool?: SessionPool;
  /** Remembers file digests so the content hash is cheap on later loads. */
  digestCache?: FileDigestCache;
}

/**
 * @example
 * const pack = await loadPack("models/blip-diffusion", { pool });
 * const { ctx_embeddings } = await pack.run("qformer", { pixel_values, input_ids, attention_mask }, signal);
 */
export async function loadPack(dir: string, options: LoadPackOptions = {}): Promise<ModelPack> {
  const root = resolve(dir);
  const manifest = await readManifest(root);
  const problems: PackProblem[] = [];
  if (manifest.controlnets.length > 0 && manifest.unet.controlnet_residuals === 0) {
    problems.push({
      code: "bad-manifest",
      file: "manifest.json",
      message:
        "manifest.json: field 'controlnets' lists ControlNets but unet.controlnet_residuals is 0, so the UNet cannot take their residuals",
    });
  }

  const present = new Set<GraphName>();
  const graphFiles: string[] = [];
  for (const contract of packContract(manifest)) {
    const signature = await readGraph(root, contract, problems);
    if (!signature) continue;
    present.add(contract.graph);
    // Forward slashes on every OS: the content hash is normative (docs/model-pack.md).
    graphFiles.push(
      contract.file,
      ...signature.externalDataFiles.map((file) => posix.join(posix.dirname(contract.file), file)),
    );
    for (const mismatch of checkGraphSignature(contract, signature, manifest.dtypes[contract.graph] ?? "float32")) {
      problems.push({ code: "graph-contract", ...mismatch });
    }
  }
  const tokenizerFiles = [
    ...(await tokenizerFilesOf(
      root,
      "tokenizer",
      [["tokenizer.json"], ["vocab.json", "merges.txt"]],
      "CLIP",
      problems,
    )),
    ...(await tokenizerFilesOf(root, "qformer_tokenizer", [["tokenizer.json"], ["vocab.txt"]], "BERT", problems)),
  ];
  if (problems.length > 0) throw new PackLoadError(root, problems);

  const { hash, bytes } = await packContentHash(
    root,
    ["manifest.json", ...graphFiles, ...tokenizerFiles],
    options.digestCache ?? new FileDigestCache(),
  );
  return new LoadedPack(
    root,
    options.id ?? basename(root),
    options.embedded ?? false,
    manifest,
    hash,
    bytes,
    present,
    options.pool ?? new SessionPool(),
  );
}

async function readManifest(root: string): Promise<PackManifest> {
  let text: string;
  try {
    text = await readFile(join(root, "manifest.json"), "utf8");
  } catch {
    throw new PackLoadError(root, [
      {
        code: "missing-manifest",
        file: "manifest.json",
        message: "manifest.json: missing; a model pack folder starts with its manifest (see MODEL_PACK.md)",
      },
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PackLoadError(root, [
      {
        code: "bad-manifest",
        file: "manifest.json",
        message: `manifest.json: not valid JSON (${(error as Error).message})`,
      },
    ]);
  }
  const parsed = PackManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new PackLoadError(
      root,
      parsed.error.issues.map((issue) => ({
        code: "bad-manifest" as const,
        file: "manifest.json",
        message: `manifest.json: field '${issue.path.map(String).join(".") || "(root)"}': ${issue.message}`,
      })),
    );
  }
  return parsed.data;
}

async function readGraph(
  root: string,
  contract: GraphContract,
  problems: PackProblem[],
): Promise<OnnxGraphSignature | undefined> {
  const path = join(root, contract.file);
  try {
    await stat(path);
  } catch {
    if (!contract.optional)
      problems.push({
        code: "missing-graph",
        file: contract.file,
        message: `${contract.file}: missing (the ${contract.graph} graph is required)`,
      });
    return undefined;
  }
  try {
    const signature = await readOnnxSignature(path);
    for (const file of signature.externalDataFiles) {
      try {
        await stat(join(dirname(path), file));
      } catch {
        problems.push({
          code: "missing-graph",
          file: contract.file,
          message: `${contract.file}: its external weights file '${file}' is missing`,
        });
      }
    }
    return signature;
  } catch (error) {
    problems.push({
      code: "unreadable-graph",
      file: contract.file,
      message: `${contract.file}: not a readable ONNX model (${(error as Error).message})`,
    });
    return undefined;
  }
}

/** The files of a tokenizer folder, if one of the accepted sets is complete. */
async function tokenizerFilesOf(
  root: string,
  folder: string,
  accepted: string[][],
  kind: string,
  problems: PackProblem[],
): Promise<string[]> {
  let names: Set<string>;
  try {
    names = new Set(await readdir(join(root, folder)));
  } catch {
    names = new Set();
  }
  const complete = accepted.find((set) => set.every((name) => names.has(name)));
  if (!complete) {
    const options = accepted.map((set) => set.join(" + ")).join(", or ");
    problems.push({
      code: "missing-tokenizer",
      file: `${folder}/`,
      message: `${folder}/: the ${kind} tokenizer needs ${options}`,
    });
    return [];
  }
  // Config files change tokenization too (pad token, casing), so they count in the hash.
  const extras = ["tokenizer_config.json", "special_tokens_map.json"].filter((name) => names.has(name));
  return [...complete, ...extras].map((name) => `${folder}/${name}`);
}

/**
 * An onnxruntime failure (a bad shape, a graph file gone from disk) as a node error naming
 * the pack, the graph and the tensors given, without the server's paths.
 */
export function graphRunError(packId: string, graphFile: string, feeds: Feeds, error: unknown): InfixError {
  const reason = withoutAbsolutePaths((error instanceof Error ? error.message : String(error)).split("\n")[0]);
  const given = Object.entries(feeds)
    .map(([name, tensor]) => `${name} [${tensor.dims.join(",")}]`)
    .join(", ");
  const missing = /no such file|ENOENT|failed to load|load model/i.test(reason);
  return new InfixError({
    code: missing ? "pack_changed" : "graph_run_failed",
    message: missing
      ? `model pack '${packId}': ${graphFile} cannot be loaded (${reason}); the pack changed on disk, so check or reinstall it`
      : `model pack '${packId}', graph ${graphFile}: onnxruntime refused the run (${reason}); inputs given: ${given}`,
    expected: missing ? undefined : "inputs with the shapes the graph declares (docs/model-pack.md)",
    found: given,
  });
}

class LoadedPack implements ModelPack {
  private clip?: Promise<TextTokenizer>;
  private bert?: Promise<TextTokenizer>;

  constructor(
    readonly dir: string,
    readonly id: string,
    readonly embedded: boolean,
    readonly manifest: PackManifest,
    readonly hash: string,
    readonly diskBytes: number,
    private readonly graphs: ReadonlySet<GraphName>,
    private readonly pool: SessionPool,
  ) {}

  hasGraph(graph: GraphName): boolean {
    return this.graphs.has(graph);
  }

  async run(graph: GraphName, feeds: Feeds, signal?: AbortSignal): Promise<Record<string, FloatTensor>> {
    const path = this.graphPath(graph);
    let outputs;
    try {
      outputs = await this.pool.run(path, feeds, { signal, floatType: this.manifest.dtypes[graph] ?? "float32" });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw graphRunError(this.id, relative(this.dir, path), feeds, error);
    }
    const floats: Record<string, FloatTensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      if (!(tensor.data instanceof Float32Array))
        throw new Error(`${relative(this.dir, path)}: output '${name}' is not a float tensor`);
      floats[name] = tensor as FloatTensor;
    }
    return floats;
  }

  clipTokenizer(): Promise<TextTokenizer> {
    this.clip ??= loadClipTokenizer(join(this.dir, "tokenizer"));
    return this.clip;
  }

  bertTokenizer(): Promise<TextTokenizer> {
    this.bert ??= loadBertTokenizer(join(this.dir, "qformer_tokenizer"));
    return this.bert;
  }

  byteSize(): number {
    // The handle itself: manifest and a few strings. Sessions are counted by the pool.
    return 4096;
  }

  private graphPath(graph: GraphName): string {
    if (!this.graphs.has(graph)) {
      throw new Error(
        `model pack '${this.id}' has no ${graph} graph${graph === "vae_encoder" ? " (this pack cannot encode images; editing real images needs vae_encoder.onnx)" : ""}`,
      );
    }
    if (graph.startsWith("controlnet/")) {
      const name = graph.slice("controlnet/".length);
      const entry = this.manifest.controlnets.find((c) => c.name === name);
      if (entry) return join(this.dir, entry.file);
    }
    return join(this.dir, `${graph}.onnx`);
  }
}

import type { FloatTensor, IntTensor, TextTokenizer } from "@infix/engine";
import type { PackManifest } from "./manifest.ts";

/**
 * The model-pack handle the BLIP-Diffusion nodes use. The loader (`loader.ts`) validates a
 * pack folder against ../shared/MODEL_PACK.md and returns one of these; sessions are
 * created lazily and shared across jobs.
 */

/** Graph files of a pack, by the name MODEL_PACK.md gives them (without `.onnx`). */
export type GraphName = "qformer" | "text_encoder" | "unet" | "vae_decoder" | "vae_encoder" | `controlnet/${string}`;

export type Feeds = Record<string, FloatTensor | IntTensor>;

// The tokenizer types are generic and live in the engine; re-exported for the nodes.
export type { TextTokenizer, TokenizedText } from "@infix/engine";

export interface ModelPack {
  /** Folder name under the models folder, or `tiny` for the embedded pack. */
  readonly id: string;
  readonly dir: string;
  readonly embedded: boolean;
  /** The parsed manifest.json (see manifest.ts for its schema). */
  readonly manifest: PackManifest;
  /** Content hash of manifest and graphs, `sha256:<hex>`, for workflows' pack references. */
  readonly hash: string;
  /** Bytes on disk of the hashed files (manifest, graphs with external data, tokenizers). */
  readonly diskBytes: number;
  /** Whether the pack has this graph (vae_encoder is optional; controlnets per manifest). */
  hasGraph(graph: GraphName): boolean;
  /** Runs one graph; outputs are float32 whatever the graph's dtype. */
  run(graph: GraphName, feeds: Feeds, signal?: AbortSignal): Promise<Record<string, FloatTensor>>;
  /** CLIP BPE tokenizer of `tokenizer/`. */
  clipTokenizer(): Promise<TextTokenizer>;
  /** BERT WordPiece (uncased) tokenizer of `qformer_tokenizer/`. */
  bertTokenizer(): Promise<TextTokenizer>;
  /** The handle is small; sessions are counted by the session pool, not the output cache. */
  byteSize(): number;
}

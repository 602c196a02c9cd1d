import type { FloatTensor, SocketTypeInfo } from "@infix/engine";
import type { AttentionMapsRecord } from "./editing/attention-edit.ts";

/**
 * The socket types the BLIP-Diffusion nodes introduce and the values that travel on them.
 * Every value carries a `type` tag equal to its socket name so a node can check what it
 * was handed (a mis-wired workflow loaded from disk, a later node package) and say so.
 */

/** A batch of RGB images. `pixels`: [B,3,H,W] float in [0,1], row-major NCHW. */
export interface ImageBatch {
  readonly type: "IMAGE";
  readonly pixels: FloatTensor;
  /** Content hash per image (`sha256:<hex>` of the file it came from, when it came from one). */
  readonly sourceHashes: readonly string[];
}

/** A batch of masks. `mask`: [B,H,W] float in [0,1]; 1 = keep / opaque. */
export interface MaskBatch {
  readonly type: "MASK";
  readonly mask: FloatTensor;
}

/** A subject embedding from the Q-Former. `embedding`: [Q,D] or [B,Q,D] float32. */
export interface SubjectEmbedding {
  readonly type: "SUBJECT";
  readonly embedding: FloatTensor;
  /** The pack that produced it: the text encoder must come from the same model. */
  readonly packName: string;
  readonly packHash: string;
  /** The source subject category the Q-Former was told (e.g. "dog"). */
  readonly category: string;
  /** Content hashes of the reference images it was computed from. */
  readonly sourceHashes: readonly string[];
}

/** Text embeddings for the UNet. `embedding`: [B,77,D] float32 (77 = text_max_length). */
export interface Conditioning {
  readonly type: "CONDITIONING";
  readonly embedding: FloatTensor;
  readonly packHash: string;
  /** The exact text that was tokenized, per batch row (prompt-to-prompt needs it). */
  readonly prompts: readonly string[];
  /** CLIP token ids per row before the subject splice, length L; 0-filled rows are padding. */
  readonly tokenIds: readonly Int32Array[];
  /** Where Q subject embeddings were spliced in (token index and count); absent without a subject. */
  readonly subject?: { readonly beginPos: number; readonly count: number; readonly category: string };
}

/** Latents. `samples`: [B,C,h,w] float32, already multiplied by the VAE scaling factor. */
export interface LatentBatch {
  readonly type: "LATENT";
  readonly samples: FloatTensor;
  /** Optional [B,1,h,w] in [0,1]: 1 = denoise here, 0 = keep the input latents (inpainting). */
  readonly noiseMask?: FloatTensor;
  /** The per-word cross-attention maps of the edit run that made these latents (Attention Maps node). */
  readonly attention?: AttentionMapsRecord;
}

/** One UNet call's arguments, as a CONTROL or ATTENTION_CONTROL value sees them. */
export interface UnetCallInfo {
  /** [N,C,h,w] the scaled model input of this call (N = 2B with guidance, else B). */
  readonly sample: FloatTensor;
  /** The diffusion timestep of this call. */
  readonly timestep: number;
  /** [N,77,D] */
  readonly encoderHiddenStates: FloatTensor;
  /** Rows 0..B-1 are unconditional when guidance is batched, and B..2B-1 conditional. */
  readonly guided: boolean;
  readonly step: number;
  readonly totalSteps: number;
  readonly signal: AbortSignal;
}

/**
 * Structure control (ControlNet) for the Sampler. Filled by the control issue; the Sampler
 * calls it once per UNet call and feeds what it returns, by the UNet's input names
 * (`down_block_additional_residual_<i>`, `mid_block_additional_residual`).
 */
export interface ControlHint {
  readonly type: "CONTROL";
  residuals(call: UnetCallInfo): Promise<Record<string, FloatTensor>>;
}

/** The UNet's attention-control inputs (MODEL_PACK.md, unet.onnx), for N rows. */
export interface AttentionControlFeeds {
  /** [N] int: row whose cross-attention is the base for row b. */
  readonly crossAttnBase: BigInt64Array;
  /** [N,77,77] */
  readonly crossAttnMap: Float32Array;
  /** [N,77] */
  readonly crossAttnKeep: Float32Array;
  /** [N] int */
  readonly selfAttnBase: BigInt64Array;
  /** [N] */
  readonly selfAttnMix: Float32Array;
}

/**
 * Prompt-to-prompt style attention editing for the Sampler. Filled by the editing issue:
 * `feeds` gives the control inputs of one UNet call (null = identity), `observe` sees the
 * UNet's `cross_attn_lowres` output and may adjust the latents after the step (local blend).
 */
export interface AttentionControl {
  readonly type: "ATTENTION_CONTROL";
  feeds(call: UnetCallInfo): AttentionControlFeeds | null;
  observe?(crossAttnLowres: FloatTensor, latents: FloatTensor, call: UnetCallInfo): void;
  /**
   * May rewrite the guided prediction (`combined`, B rows) from the UNet's output (`prediction`,
   * 2B rows with guidance) before the scheduler step, e.g. an edit's source row taking the unguided prediction.
   */
  adjustPrediction?(prediction: Float32Array, combined: Float32Array): void;
}

export type { SchedulerSettings } from "./sampling/scheduler-settings.ts";

/** Colours follow the familiar ComfyUI palette where a counterpart exists, so users recognise the wires. */
export const SOCKET_TYPES: readonly SocketTypeInfo[] = [
  {
    name: "MODEL_PACK",
    color: "#b39ddb",
    description: "A loaded BLIP-Diffusion model pack (Q-Former, text encoder, UNet, VAE, tokenizers).",
  },
  { name: "IMAGE", color: "#64b5f6", description: "A batch of RGB images, float [B,3,H,W] in [0,1]." },
  { name: "MASK", color: "#81c784", description: "A batch of masks, float [B,H,W] in [0,1] (1 = opaque/keep)." },
  {
    name: "SUBJECT",
    color: "#ffb74d",
    description: "A subject embedding [Q,D] or [B,Q,D] from the Q-Former, with pack, category and source-image hashes.",
  },
  {
    name: "CONDITIONING",
    color: "#ffd54f",
    description: "Text embeddings [B,77,D] for the UNet, with the prompt text and token ids.",
  },
  {
    name: "LATENT",
    color: "#f48fb1",
    description: "Latents [B,4,h,w] (h = H / scale factor), optionally with a noise mask.",
  },
  { name: "CONTROL", color: "#4db6ac", description: "Structure control (ControlNet residuals) for the Sampler." },
  { name: "ATTENTION_CONTROL", color: "#9575cd", description: "Prompt-to-prompt attention control for the Sampler." },
  {
    name: "SCHEDULER",
    color: "#4dd0e1",
    description: "Scheduler settings: a scheduler kind and diffusers scheduler_config keys over the pack's.",
  },
  { name: "INT", color: "#90a4ae", description: "An integer." },
  { name: "FLOAT", color: "#90a4ae", description: "A floating-point number." },
  { name: "STRING", color: "#a1887f", description: "Text." },
  { name: "BOOLEAN", color: "#90a4ae", description: "True or false." },
];

/**
 * The one interface every weight-file reader (safetensors, PyTorch `.bin` zip archives,
 * sharded checkpoints) implements, so the pack importer never cares where a tensor lives.
 * Readers stream: `readFloat32` reads one tensor from disk when asked and converts it, so
 * an importer holds one copy of one tensor at a time, never the whole checkpoint twice.
 */

/** Element types found in the checkpoints we import. */
export type CheckpointDtype = "float32" | "float16" | "bfloat16" | "float64" | "int64" | "int32" | "uint8" | "bool";

export interface CheckpointTensorInfo {
  readonly name: string;
  readonly dtype: CheckpointDtype;
  readonly shape: readonly number[];
}

export interface Checkpoint {
  /** Where the tensors come from, for messages (a file or folder name relative to the source). */
  readonly label: string;
  /** Every tensor name, in file order. */
  names(): readonly string[];
  /** A tensor's dtype and shape, or undefined when the checkpoint has no such tensor. */
  info(name: string): CheckpointTensorInfo | undefined;
  /** Reads one tensor and converts it to float32 (float16/bfloat16/float64 widened or narrowed exactly as torch's `.float()`). Throws `CheckpointError` naming the tensor when it is missing. */
  readFloat32(name: string): Promise<Float32Array>;
  /** Releases open file handles. */
  close(): Promise<void>;
}

/** A weight file that cannot be read: names the file, the tensor (when one), what was expected and what was found. */
export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor ? ` (${tensor})` : ""}: ${message}`);
    this.name = "CheckpointError";
  }
}

/**
 * Writes safetensors files (huggingface/safetensors "Format"): used to make test checkpoints
 * and the bench's full-size random checkpoint. Tensors are streamed to disk one at a time, so a
 * multi-gigabyte file never sits in memory.
 */
import { open } from "node:fs/promises";
import { dtypeByteSize } from "./dtype-conversion.ts";
import type { CheckpointDtype } from "./types.ts";

const safetensorsNames: Readonly<Record<CheckpointDtype, string>> = {
  float32: "F32",
  float16: "F16",
  bfloat16: "BF16",
  float64: "F64",
  int64: "I64",
  int32: "I32",
  uint8: "U8",
  bool: "BOOL",
};

export interface SafetensorsTensorSpec {
  readonly name: string;
  readonly dtype: CheckpointDtype;
  readonly shape: readonly number[];
  /** The tensor's little-endian bytes, produced when it is written (so a writer holds one at a time). */
  readonly bytes: () => Uint8Array | Promise<Uint8Array>;
}

/** The header bytes (8-byte length + JSON padded with spaces to 8 bytes, as the reference writer does). */
export function encodeSafetensorsHeader(
  tensors: readonly Pick<SafetensorsTensorSpec, "name" | "dtype" | "shape">[],
  metadata?: Readonly<Record<string, string>>,
): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1) * dtypeByteSize[t.dtype];
    header[t.name] = { dtype: safetensorsNames[t.dtype], shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const body = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + body.length);
  out.writeBigUInt64LE(BigInt(body.length), 0);
  body.copy(out, 8);
  return out;
}

/**
 * Writes `tensors` in order to a safetensors file at `path`.
 *
 * @example
 * await writeSafetensors("w.safetensors", [{ name: "w", dtype: "float32", shape: [2],
 *   bytes: () => new Uint8Array(Float32Array.from([1, 2]).buffer) }]);
 */
export async function writeSafetensors(
  path: string,
  tensors: readonly SafetensorsTensorSpec[],
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const file = await open(path, "w");
  try {
    const header = encodeSafetensorsHeader(tensors, metadata);
    await file.write(header, 0, header.length);
    for (const t of tensors) {
      const bytes = await t.bytes();
      const expected = t.shape.reduce((a, b) => a * b, 1) * dtypeByteSize[t.dtype];
      if (bytes.byteLength !== expected) {
        throw new RangeError(`${t.name}: ${bytes.byteLength} bytes given, shape and dtype need ${expected}`);
      }
      await file.write(bytes, 0, bytes.byteLength);
    }
  } finally {
    await file.close();
  }
}

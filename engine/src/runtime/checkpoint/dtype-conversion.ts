/**
 * Widening (and narrowing) of a checkpoint tensor's raw little-endian bytes to float32, exactly
 * as torch's `Tensor.float()` does: float16 and bfloat16 are exact in float32, float64 rounds to
 * nearest even (Math.fround), integers and booleans take their value.
 */
import { float16ArrayToFloat32 } from "../sessions/float16.ts";
import type { CheckpointDtype } from "./types.ts";

/** Bytes per element of each checkpoint dtype. */
export const dtypeByteSize: Readonly<Record<CheckpointDtype, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A typed view over `bytes` when it is aligned for `bytesPerElement`, else over an aligned copy. */
function alignedBuffer(bytes: Uint8Array, bytesPerElement: number): ArrayBuffer {
  if (bytes.byteOffset % bytesPerElement === 0 && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.slice().buffer;
}

function alignedOffset(bytes: Uint8Array, bytesPerElement: number): number {
  return bytes.byteOffset % bytesPerElement === 0 && bytes.buffer instanceof ArrayBuffer ? bytes.byteOffset : 0;
}

/** The bfloat16 bit patterns `bits` as float32: a bfloat16 is the top half of a float32 word. */
export function bfloat16ArrayToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) words[i] = bits[i] << 16;
  return out;
}

/**
 * Converts one tensor's raw little-endian bytes to a new Float32Array of `count` elements.
 *
 * @param bytes - the tensor's bytes, exactly `count × dtypeByteSize[dtype]` long.
 * @param dtype - the element type stored in the checkpoint.
 * @example toFloat32(new Uint8Array([0x00, 0x3c]), "float16") // Float32Array [1]
 */
export function toFloat32(bytes: Uint8Array, dtype: CheckpointDtype): Float32Array {
  if (!littleEndianHost) throw new Error("checkpoint reading needs a little-endian host");
  const size = dtypeByteSize[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  const count = bytes.byteLength / size;
  const buffer = alignedBuffer(bytes, size);
  const offset = alignedOffset(bytes, size);
  switch (dtype) {
    case "float32":
      // Always a copy, so the caller owns the result even when `bytes` is a reused buffer.
      return new Float32Array(buffer.slice(offset, offset + bytes.byteLength));
    case "float16":
      return float16ArrayToFloat32(new Uint16Array(buffer, offset, count));
    case "bfloat16":
      return bfloat16ArrayToFloat32(new Uint16Array(buffer, offset, count));
    case "float64":
      return Float32Array.from(new Float64Array(buffer, offset, count));
    case "int64": {
      const source = new BigInt64Array(buffer, offset, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(source[i]);
      return out;
    }
    case "int32":
      return Float32Array.from(new Int32Array(buffer, offset, count));
    case "uint8":
    case "bool":
      return Float32Array.from(new Uint8Array(buffer, offset, count));
  }
}

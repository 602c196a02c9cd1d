/**
 * Tensors as the engine and nodes pass them around: a shape and a flat, row-major typed
 * array. Never JS number arrays. Cheap to hand to onnxruntime (no copy) and sized exactly
 * by the cache.
 */

export type FloatData = Float32Array;
export type IntData = BigInt64Array;

export interface Tensor<D extends FloatData | IntData = FloatData> {
  readonly dims: readonly number[];
  readonly data: D;
}

export type FloatTensor = Tensor<FloatData>;
export type IntTensor = Tensor<IntData>;

/** How many elements a tensor of shape `dims` holds (1 for a scalar's []). */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** A float32 tensor of the given shape, zero-filled unless `data` is given (which must fit exactly). */
export function floatTensor(dims: readonly number[], data?: Float32Array): FloatTensor {
  const size = elementCount(dims);
  if (data && data.length !== size) {
    throw new Error(`tensor data has ${data.length} values but shape [${dims.join(",")}] needs ${size}`);
  }
  return { dims: [...dims], data: data ?? new Float32Array(size) };
}

/** An int64 tensor from plain integers. */
export function intTensor(dims: readonly number[], values: ArrayLike<number | bigint>): IntTensor {
  const size = elementCount(dims);
  if (values.length !== size) {
    throw new Error(`tensor data has ${values.length} values but shape [${dims.join(",")}] needs ${size}`);
  }
  const data = new BigInt64Array(size);
  for (let i = 0; i < size; i++) data[i] = BigInt(values[i]);
  return { dims: [...dims], data };
}

/** A shape as messages print it: `[1,4,64,64]`. */
export function shapeToString(dims: readonly number[]): string {
  return `[${dims.join(",")}]`;
}

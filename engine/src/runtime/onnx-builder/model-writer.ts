import { open } from "node:fs/promises";
import { basename } from "node:path";
import onnxProto from "onnx-proto";
import { float32ArrayToFloat16 } from "../sessions/float16.ts";
import type { GraphBuilder } from "./graph-builder.ts";

const { onnx } = onnxProto;

/**
 * Writes a built graph to disk: inline when its weights fit a protobuf message, else with ONNX
 * external data (onnx docs/ExternalData.md: each initializer's bytes in `<file>.data` at an
 * offset, the .onnx keeping only names, shapes and locations), streaming one tensor at a time
 * so the weights are never held twice. `float16` writes a half-precision graph.
 */

/** Protobuf messages cannot exceed 2 GiB; stay clear of it. */
export const DEFAULT_EXTERNAL_DATA_THRESHOLD = 2 ** 31 - 2 ** 26;

/** External-data offsets are aligned for memory mapping (onnxruntime reads any offset; aligned is faster). */
const ALIGNMENT = 4096;
/** Tensors smaller than this stay inline even in an external-data graph. */
const INLINE_BELOW = 1024;

export interface WriteOnnxOptions {
  /** Half-precision graph: float weights, inputs and outputs as float16. */
  readonly float16?: boolean;
  /** Initializer bytes above which weights go to `<file>.data` (default just under 2 GiB; lowered in tests). */
  readonly externalDataThreshold?: number;
}

export interface WrittenModel {
  /** The external data file's name beside the .onnx, when one was written. */
  readonly externalData?: string;
  readonly weightBytes: number;
}

function tensorBytes(data: Float32Array | BigInt64Array, half: boolean): { bytes: Uint8Array; dataType: number } {
  if (data instanceof BigInt64Array) {
    return {
      bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      dataType: onnx.TensorProto.DataType.INT64,
    };
  }
  if (half) {
    const bits = float32ArrayToFloat16(data);
    return { bytes: new Uint8Array(bits.buffer), dataType: onnx.TensorProto.DataType.FLOAT16 };
  }
  return {
    bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    dataType: onnx.TensorProto.DataType.FLOAT,
  };
}

/**
 * Writes `graph` to `path` (and `path + ".data"` when its weights exceed the threshold).
 *
 * @example await writeOnnxModel(buildUnet(...), "pack/unet.onnx", { float16: true });
 */
export async function writeOnnxModel(
  graph: GraphBuilder,
  path: string,
  options: WriteOnnxOptions = {},
): Promise<WrittenModel> {
  const half = options.float16 ?? false;
  const keepFloat32 = half ? graph.float32OnlyInitializers() : new Set<string>();
  const initializers = graph.initializerList();
  const bytesPerFloat = half ? 2 : 4;
  const weightBytes = initializers.reduce(
    (sum, init) =>
      sum +
      (init.data instanceof Float32Array && !keepFloat32.has(init.name)
        ? init.data.length * bytesPerFloat
        : init.data.byteLength),
    0,
  );
  const threshold = options.externalDataThreshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD;

  if (weightBytes <= threshold) {
    const protos = initializers.map((init) => {
      const { bytes, dataType } = tensorBytes(init.data, half && !keepFloat32.has(init.name));
      return { name: init.name, dims: [...init.dims], dataType, rawData: bytes };
    });
    const file = await open(path, "w");
    try {
      await file.write(onnx.ModelProto.encode(graph.modelProto(protos, half)).finish());
    } finally {
      await file.close();
    }
    return { weightBytes };
  }

  const dataName = `${basename(path)}.data`;
  const protos: onnxProto.onnx.ITensorProto[] = [];
  const data = await open(`${path}.data`, "w");
  try {
    let offset = 0;
    for (const init of initializers) {
      const { bytes, dataType } = tensorBytes(init.data, half && !keepFloat32.has(init.name));
      // Shapes, axes and small constants stay inline: shape inference must read them at load time.
      if (init.data instanceof BigInt64Array || bytes.byteLength < INLINE_BELOW) {
        protos.push({ name: init.name, dims: [...init.dims], dataType, rawData: bytes });
        continue;
      }
      const padding = (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT;
      if (padding) await data.write(new Uint8Array(padding));
      offset += padding;
      await data.write(bytes, 0, bytes.byteLength);
      protos.push({
        name: init.name,
        dims: [...init.dims],
        dataType,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: "location", value: dataName },
          { key: "offset", value: String(offset) },
          { key: "length", value: String(bytes.byteLength) },
        ],
      });
      offset += bytes.byteLength;
    }
  } finally {
    await data.close();
  }
  const file = await open(path, "w");
  try {
    await file.write(onnx.ModelProto.encode(graph.modelProto(protos, half)).finish());
  } finally {
    await file.close();
  }
  return { externalData: dataName, weightBytes };
}

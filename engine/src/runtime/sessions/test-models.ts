import { writeFile } from "node:fs/promises";
import onnxProto from "onnx-proto";

/**
 * Small ONNX models written with onnx-proto directly, for the runtime's own tests (the pack
 * tests use the tiny pack instead). Not part of the engine's public API.
 */

const { onnx } = onnxProto;
type ElemType = "float32" | "float16" | "int64";
const ELEM: Record<ElemType, number> = { float32: 1, float16: 10, int64: 7 };

export interface TestValue {
  name: string;
  type: ElemType;
  /** Fixed sizes, symbolic names, or null for an unnamed open dimension. */
  shape: (number | string | null)[];
}

function valueInfo(value: TestValue): onnxProto.onnx.IValueInfoProto {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: ELEM[value.type],
        shape: {
          dim: value.shape.map((d) =>
            typeof d === "number" ? { dimValue: d } : typeof d === "string" ? { dimParam: d } : {},
          ),
        },
      },
    },
  };
}

export interface TestModelOptions {
  inputs: TestValue[];
  outputs: TestValue[];
  nodes: onnxProto.onnx.INodeProto[];
  initializers?: onnxProto.onnx.ITensorProto[];
  /** Also list the initializers among the graph's inputs, as IR < 4 exporters did. */
  initializersAsInputs?: boolean;
}

/** Encodes a single-graph model (opset 17) to bytes. */
export function encodeTestModel(options: TestModelOptions): Uint8Array {
  const initializerInputs = options.initializersAsInputs
    ? (options.initializers ?? []).map((t) =>
        valueInfo({ name: t.name ?? "", type: "float32", shape: (t.dims ?? []).map(Number) }),
      )
    : [];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "infix-tests",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "test",
      node: options.nodes,
      initializer: options.initializers ?? [],
      input: [...options.inputs.map(valueInfo), ...initializerInputs],
      output: options.outputs.map(valueInfo),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** `y = a + b` over float tensors of the given dtype, shape [N]. */
export async function writeAddModel(path: string, type: "float32" | "float16" = "float32"): Promise<void> {
  const bytes = encodeTestModel({
    inputs: [
      { name: "a", type, shape: ["n"] },
      { name: "b", type, shape: ["n"] },
    ],
    outputs: [{ name: "y", type, shape: ["n"] }],
    nodes: [{ opType: "Add", input: ["a", "b"], output: ["y"], name: "add" }],
  });
  await writeFile(path, bytes);
}

/** A float32 initializer tensor with its data inline (raw little-endian bytes). */
export function floatInitializer(name: string, dims: number[], values: Float32Array): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType: 1, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

/** A float32 initializer whose data lives in an external file (`location`, at `offset`). */
export function externalInitializer(
  name: string,
  dims: number[],
  location: string,
  offset: number,
  length: number,
): onnxProto.onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: 1,
    dataLocation: 1,
    externalData: [
      { key: "location", value: location },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(length) },
    ],
  };
}

import onnxProto from "onnx-proto";
import { hashString32, SeededRandom } from "./seeded-random.ts";

const { onnx } = onnxProto;

/**
 * A small typed builder for ONNX graphs (opset 17), written on the protobuf classes of
 * `onnx-proto`. It names every node and value deterministically, seeds every weight from
 * the graph seed and the weight's own name (so adding a weight never shifts another's
 * values), and serialises to `ModelProto` bytes that onnxruntime loads.
 */

export const OPSET_VERSION = 17;
/** IR version 8 is what opset 17 models carry (onnx/onnx docs/Versioning.md). */
const IR_VERSION = 8;

/** A dimension: a fixed size or a symbolic name such as `"B"`. */
export type Dim = number | string;
export type ElementType = "float32" | "int64" | "bool";

/** A tensor produced inside the graph, referred to by its unique name. */
export interface Value {
  readonly name: string;
}

/** A float attribute (plain numbers are integer attributes). */
export interface FloatAttribute {
  readonly float: number;
}
/** A list-of-floats attribute. */
export interface FloatsAttribute {
  readonly floats: readonly number[];
}
export type AttributeValue = number | readonly number[] | string | FloatAttribute | FloatsAttribute;
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** Float attribute helper: `{ epsilon: float(1e-5) }`. */
export function float(value: number): FloatAttribute {
  return { float: value };
}

/** How a weight's values are drawn. */
export type WeightInit =
  | { readonly kind: "normal"; readonly std: number; readonly mean?: number }
  | { readonly kind: "constant"; readonly value: number };

/**
 * How a parameter is laid out in the graph relative to PyTorch: "plain" is the same layout;
 * "linear" is a `nn.Linear` weight the graph stores [in, out] (for MatMul) while torch keeps [out, in].
 */
export type WeightLayout = "plain" | "linear";

/**
 * Where a builder's parameters come from instead of its seeded random streams: a checkpoint's
 * tensors by qualified name. `take` returns the values in the graph's layout and throws when the
 * tensor is missing or has another shape.
 */
export interface WeightSource {
  take(name: string, dims: readonly number[], layout: WeightLayout): Float32Array;
}

const ELEMENT_TYPE_CODE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

interface Initializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

function valueInfo(name: string, type: ElementType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPE_CODE[type],
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attributeProto(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === "string") return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === "number") {
    if (!Number.isInteger(value))
      throw new Error(`attribute ${name}: ${value} is not an integer; wrap floats with float()`);
    return { name, type: T.INT, i: value };
  }
  if ("float" in value) return { name, type: T.FLOAT, f: value.float };
  if ("floats" in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  const ints = value as readonly number[];
  for (const i of ints) if (!Number.isInteger(i)) throw new Error(`attribute ${name}: ${i} is not an integer`);
  return { name, type: T.INTS, ints: [...ints] };
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly initializerByName = new Map<string, Initializer>();
  private readonly usedNames = new Set<string>();
  private readonly scopes: string[] = [];
  private counter = 0;

  /**
   * @param graphName - the graph's name in the model
   * @param seed - the seed every weight's stream derives from
   */
  constructor(
    readonly graphName: string,
    readonly seed: number,
    /** When given, every `weight()` reads its values from here (by qualified name) instead of drawing them. */
    private readonly weightSource?: WeightSource,
  ) {}

  /** Runs `body` with `prefix` prepended to the names it creates (`down.0.resnet.0/conv1.weight`). */
  scope<T>(prefix: string, body: () => T): T {
    this.scopes.push(prefix);
    try {
      return body();
    } finally {
      this.scopes.pop();
    }
  }

  private qualified(name: string): string {
    return this.scopes.length ? `${this.scopes.join(".")}.${name}` : name;
  }

  private unique(base: string): string {
    let name = base;
    while (this.usedNames.has(name)) name = `${base}_${++this.counter}`;
    this.usedNames.add(name);
    return name;
  }

  /** Declares a graph input. */
  input(name: string, type: ElementType, dims: readonly Dim[]): Value {
    if (this.usedNames.has(name)) throw new Error(`graph input ${name} is declared twice`);
    this.usedNames.add(name);
    this.inputs.push(valueInfo(name, type, dims));
    return { name };
  }

  /** Declares `value` as a graph output called `name` (through an Identity when renamed). */
  output(value: Value, name: string, type: ElementType, dims: readonly Dim[]): void {
    let source = value;
    if (value.name !== name) {
      if (this.usedNames.has(name)) throw new Error(`graph output ${name} clashes with an existing value`);
      this.usedNames.add(name);
      this.nodes.push({
        opType: "Identity",
        input: [value.name],
        output: [name],
        name: this.unique(`${name}_identity`),
      });
      source = { name };
    }
    this.outputs.push(valueInfo(source.name, type, dims));
  }

  /**
   * A trainable-parameter initializer named within the current scope, drawn from its own
   * seeded stream: `hash(name) xor seed`.
   */
  weight(name: string, dims: readonly number[], init: WeightInit, layout: WeightLayout = "plain"): Value {
    const qualifiedName = this.unique(this.qualified(name));
    const count = dims.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (this.weightSource) {
      data = this.weightSource.take(qualifiedName, dims, layout);
    } else if (init.kind === "constant") {
      data = new Float32Array(count).fill(init.value);
    } else {
      const random = new SeededRandom((hashString32(qualifiedName) ^ this.seed) >>> 0);
      data = random.normalArray(count, init.std);
      if (init.mean) for (let i = 0; i < count; i++) data[i] += init.mean;
    }
    return this.addInitializer(qualifiedName, dims, data);
  }

  /** A float32 constant (not a parameter): masks, frequency tables. */
  constantFloat(values: Float32Array | readonly number[], dims: readonly number[], name = "const"): Value {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.addInitializer(this.unique(this.qualified(name)), dims, data);
  }

  /** A 1-D int64 constant (shapes, axes, indices); `dims` defaults to `[values.length]`. */
  constantInt64(values: readonly number[], dims: readonly number[] = [values.length], name = "ints"): Value {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.addInitializer(this.unique(this.qualified(name)), dims, data);
  }

  /** A float32 scalar constant. */
  scalar(value: number, name = "scalar"): Value {
    return this.constantFloat([value], [], name);
  }

  private addInitializer(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): Value {
    const initializer = { name, dims: [...dims], data };
    this.initializers.push(initializer);
    this.initializerByName.set(name, initializer);
    return { name };
  }

  /** The values of an initializer, for tests that recompute a layer by hand. */
  initializerData(value: Value): Float32Array | BigInt64Array {
    const found = this.initializerByName.get(value.name);
    if (!found) throw new Error(`${value.name} is not an initializer`);
    return found.data;
  }

  /** Adds one node with a single output; `null` inputs are ONNX's omitted optional inputs. */
  op(type: string, inputs: readonly (Value | null)[], attributes: Attributes = {}): Value {
    return this.opMulti(type, inputs, 1, attributes)[0];
  }

  /** Adds one node with `outputCount` outputs. */
  opMulti(type: string, inputs: readonly (Value | null)[], outputCount: number, attributes: Attributes = {}): Value[] {
    const nodeName = this.unique(this.qualified(`${type}`));
    const outputs = Array.from({ length: outputCount }, (_, i) => this.unique(`${nodeName}:${i}`));
    this.nodes.push({
      opType: type,
      name: nodeName,
      input: inputs.map((v) => (v ? v.name : "")),
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attributeProto(key, value)),
    });
    return outputs.map((name) => ({ name }));
  }

  /** Total parameter count (float initializers), for the pack's documentation. */
  parameterCount(): number {
    let n = 0;
    for (const init of this.initializers) if (init.data instanceof Float32Array) n += init.data.length;
    return n;
  }

  /** Serialises the graph as an ONNX ModelProto (float32, every initializer inline). */
  toBytes(): Uint8Array {
    const initializers = this.initializers.map((init) => ({
      name: init.name,
      dims: [...init.dims],
      dataType: init.data instanceof Float32Array ? ELEMENT_TYPE_CODE.float32 : ELEMENT_TYPE_CODE.int64,
      // A view, not a copy: the encoder copies once into the model's bytes.
      rawData: new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength),
    }));
    return onnx.ModelProto.encode(this.modelProto(initializers, false)).finish();
  }

  /** The initializers in creation order, for writers that serialise them themselves (`writeOnnxModel`). */
  initializerList(): readonly {
    readonly name: string;
    readonly dims: readonly number[];
    readonly data: Float32Array | BigInt64Array;
  }[] {
    return this.initializers;
  }

  /**
   * Names of float initializers that ONNX requires to stay float32 in a float16 graph: Resize's
   * `scales` input is tensor(float) whatever the data type.
   */
  float32OnlyInitializers(): Set<string> {
    const names = new Set<string>();
    for (const node of this.nodes) if (node.opType === "Resize" && node.input?.[2]) names.add(node.input[2]);
    return names;
  }

  /**
   * The ModelProto around given initializer protos. With `float16`, float inputs and outputs
   * are declared float16 and `Cast(to=float)` becomes `Cast(to=float16)`, so the whole graph
   * computes in half precision (the caller converts the initializers).
   */
  modelProto(initializers: onnxProto.onnx.ITensorProto[], float16: boolean): onnxProto.onnx.ModelProto {
    const FLOAT = onnx.TensorProto.DataType.FLOAT;
    const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
    const retype = (info: onnxProto.onnx.IValueInfoProto): onnxProto.onnx.IValueInfoProto =>
      float16 && info.type?.tensorType?.elemType === FLOAT
        ? { ...info, type: { tensorType: { ...info.type.tensorType, elemType: FLOAT16 } } }
        : info;
    const nodes = float16
      ? this.nodes.map((node) =>
          node.opType === "Cast"
            ? {
                ...node,
                attribute: node.attribute?.map((a) =>
                  a.name === "to" && Number(a.i) === FLOAT ? { ...a, i: FLOAT16 } : a,
                ),
              }
            : node,
        )
      : this.nodes;
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: "infix-onnx-builder",
      producerVersion: "1",
      opsetImport: [{ domain: "", version: OPSET_VERSION }],
      graph: {
        name: this.graphName,
        node: nodes,
        input: this.inputs.map(retype),
        output: this.outputs.map(retype),
        initializer: initializers,
      },
    });
  }
}

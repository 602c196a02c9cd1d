import type { Checkpoint, WeightLayout, WeightSource } from "@infix/engine/runtime";

/**
 * A `WeightSource` over one component's checkpoint: every float tensor is read once (so the
 * graph builder, which is synchronous, can take them by name), shapes are checked against what
 * the architecture built from config.json expects, and afterwards `unused()` lists the
 * tensors nothing asked for — a sign that the config and the weights disagree.
 */
/** What the component builders read parameters from: a checkpoint, or shapes only (`ShapeOnlyWeights`). */
export interface ImportWeightSource extends WeightSource {
  /** Marks a tensor the architecture has no use for by design (buffers such as `position_ids`). */
  ignore(name: string): void;
}

export class CheckpointWeights implements ImportWeightSource {
  private readonly tensors = new Map<string, Float32Array>();
  private readonly used = new Set<string>();

  private constructor(
    private readonly checkpoint: Checkpoint,
    /** Prefix of every parameter name in the file (`text_model.` for CLIP). */
    private readonly prefix: string,
  ) {}

  /** Reads every tensor of `checkpoint` (buffers such as `position_ids` included, to be ignored by name). */
  static async load(checkpoint: Checkpoint, prefix = ""): Promise<CheckpointWeights> {
    const weights = new CheckpointWeights(checkpoint, prefix);
    for (const name of checkpoint.names()) weights.tensors.set(name, await checkpoint.readFloat32(name));
    return weights;
  }

  get label(): string {
    return this.checkpoint.label;
  }

  take(name: string, dims: readonly number[], layout: WeightLayout): Float32Array {
    const full = this.prefix + name;
    const data = this.tensors.get(full);
    const info = this.checkpoint.info(full);
    if (this.used.has(full))
      throw new Error(`${this.checkpoint.label}: tensor ${full} is taken twice by the architecture`);
    if (!data || !info) {
      throw new Error(
        `${this.checkpoint.label}: the config calls for tensor ${full} ${shapeText(dims)}, which the checkpoint lacks`,
      );
    }
    const expected = layout === "linear" ? [dims[1], dims[0]] : [...dims];
    if (layout === "linear" && dims.length !== 2) throw new Error(`linear weight ${full} must be 2-D`);
    const found = info.shape;
    // Size-1 axes are layout only (a GroupNorm's [C] is the graph's [C,1,1]); the rest must match in order.
    const squeeze = (dims: readonly number[]) => dims.filter((d) => d !== 1).join(",");
    if (squeeze(found) !== squeeze(expected)) {
      throw new Error(
        `${this.checkpoint.label}: tensor ${full} is ${shapeText(found)} but the config makes it ${shapeText(expected)}`,
      );
    }
    this.used.add(full);
    // The graph keeps its own reference; dropping ours means one copy of the weights, not two.
    this.tensors.delete(full);
    return layout === "linear" ? transpose2d(data, expected[0], expected[1]) : data;
  }

  /** Marks tensors the architecture has no use for by design (buffers such as `position_ids`). */
  ignore(name: string): void {
    const full = this.prefix + name;
    if (this.tensors.delete(full)) this.used.add(full);
  }

  /** Full names of the tensors not taken (yet). */
  unusedNames(): string[] {
    return this.unused().map((name) => name.slice(this.prefix.length));
  }

  /** Tensors of the checkpoint that no layer took. */
  unused(): string[] {
    return this.checkpoint.names().filter((name) => !this.used.has(name));
  }

  /** Throws when a tensor was left over: the weights hold something the config did not describe. */
  assertAllUsed(): void {
    const left = this.unused();
    if (left.length > 0) {
      throw new Error(
        `${this.checkpoint.label}: ${left.length} tensor(s) are not part of the architecture its config.json describes (${left.slice(0, 5).join(", ")}${left.length > 5 ? ", …" : ""})`,
      );
    }
  }
}

function shapeText(dims: readonly number[]): string {
  return `[${dims.join(",")}]`;
}

/** [rows, cols] row-major → [cols, rows]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/**
 * A weight source that allocates nothing: it records each parameter's name and torch-layout
 * shape and hands the builder an empty array, so graphs of the released sizes can be built
 * (and their parameter lists checked) without gigabytes of weights.
 */
export class ShapeOnlyWeights implements ImportWeightSource {
  private static readonly EMPTY = new Float32Array(0);
  /** Every parameter taken, name → torch shape ([out, in] for linear weights). */
  readonly shapes = new Map<string, readonly number[]>();

  take(name: string, dims: readonly number[], layout: WeightLayout): Float32Array {
    this.shapes.set(name, layout === "linear" ? [dims[1], dims[0]] : [...dims]);
    return ShapeOnlyWeights.EMPTY;
  }

  ignore(): void {}

  /** The parameter count of everything taken. */
  parameterCount(): number {
    let total = 0;
    for (const dims of this.shapes.values()) total += dims.reduce((a, b) => a * b, 1);
    return total;
  }
}

import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readOnnxSignature } from "../onnx-signature/read-signature.ts";
import { SessionPool } from "../sessions/session-pool.ts";
import { floatTensor } from "../tensor.ts";
import { GraphBuilder } from "./graph-builder.ts";
import { conv2d, linear, upsampleNearest2x } from "./layers.ts";
import { writeOnnxModel } from "./model-writer.ts";

const dir = mkdtempSync(join(tmpdir(), "infix-writer-"));

/** x [1,2,4,4] → conv → ×2 nearest upsample → flatten → linear: weights big enough to go external, a Resize, a Reshape. */
function smallGraph(): GraphBuilder {
  const g = new GraphBuilder("writer-test", 7);
  const x = g.input("x", "float32", [1, 2, 4, 4]);
  const h = upsampleNearest2x(g, conv2d(g, x, 2, 8, 3, "conv"));
  const flat = g.op("Reshape", [h, g.constantInt64([1, 8 * 64])]);
  g.output(linear(g, flat, 8 * 64, 3, "head"), "y", "float32", [1, 3]);
  return g;
}

const input = floatTensor(
  [1, 2, 4, 4],
  Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)),
);
const pool = new SessionPool({ warn: () => undefined });

describe("writeOnnxModel", () => {
  it("writes weights inline under the threshold, byte for byte what toBytes gives", async () => {
    const path = join(dir, "inline.onnx");
    const written = await writeOnnxModel(smallGraph(), path);
    expect(written.externalData).toBeUndefined();
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(smallGraph().toBytes()))).toBe(true);
  });

  it("moves large weights to <file>.data past a (lowered) threshold and computes the same", async () => {
    const inline = join(dir, "same-inline.onnx");
    const external = join(dir, "external.onnx");
    await writeOnnxModel(smallGraph(), inline);
    const written = await writeOnnxModel(smallGraph(), external, { externalDataThreshold: 100 });
    expect(written.externalData).toBe("external.onnx.data");
    expect(existsSync(join(dir, "external.onnx.data"))).toBe(true);
    expect((await readOnnxSignature(external)).externalDataFiles).toEqual(["external.onnx.data"]);
    // The .onnx keeps only the small constants; the head's 512×3 weights (6 KiB) live outside it.
    expect(readFileSync(external).length).toBeLessThan(readFileSync(inline).length - 5 * 1024);
    const [a, b] = await Promise.all([pool.run(inline, { x: input }), pool.run(external, { x: input })]);
    expect(Array.from(b.y.data as Float32Array)).toEqual(Array.from(a.y.data as Float32Array));
  });

  it("writes a float16 graph (inputs, outputs, weights) that keeps Resize's scales float32 and runs", async () => {
    const path = join(dir, "half.onnx");
    await writeOnnxModel(smallGraph(), path, { float16: true });
    const signature = await readOnnxSignature(path);
    expect(signature.inputs[0]).toMatchObject({ name: "x", elementType: "float16" });
    expect(signature.outputs[0]).toMatchObject({ name: "y", elementType: "float16" });
    const full = join(dir, "full.onnx");
    await writeOnnxModel(smallGraph(), full);
    const [half, single] = await Promise.all([
      pool.run(path, { x: input }, { floatType: "float16" }),
      pool.run(full, { x: input }),
    ]);
    // Half precision: about 3 significant digits of agreement.
    for (let i = 0; i < 3; i++) expect(half.y.data[i]).toBeCloseTo(Number(single.y.data[i]), 1);
    expect(readFileSync(path).length).toBeLessThan(readFileSync(full).length * 0.6);
  });
});

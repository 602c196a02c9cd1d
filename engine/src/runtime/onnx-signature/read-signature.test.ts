import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeTestModel, externalInitializer, floatInitializer } from "../sessions/test-models.ts";
import { OnnxSignatureError, readOnnxSignature } from "./read-signature.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "infix-signature-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readOnnxSignature", () => {
  it("reads names, element types and shapes of inputs and outputs", async () => {
    const path = join(dir, "mixed.onnx");
    await writeFile(
      path,
      encodeTestModel({
        inputs: [
          { name: "sample", type: "float32", shape: ["batch", 4, null, 64] },
          { name: "ids", type: "int64", shape: [1, 77] },
          { name: "half", type: "float16", shape: [] },
        ],
        outputs: [{ name: "out_sample", type: "float32", shape: ["batch", 4, null, 64] }],
        nodes: [{ opType: "Identity", input: ["sample"], output: ["out_sample"] }],
      }),
    );
    const signature = await readOnnxSignature(path);
    expect(signature.inputs).toEqual([
      { name: "sample", elementType: "float32", shape: ["batch", 4, null, 64] },
      { name: "ids", elementType: "int64", shape: [1, 77] },
      { name: "half", elementType: "float16", shape: [] },
    ]);
    expect(signature.outputs).toEqual([{ name: "out_sample", elementType: "float32", shape: ["batch", 4, null, 64] }]);
    expect(signature.externalDataFiles).toEqual([]);
  });

  it("skips a large initializer without decoding it, and hides initializers listed as inputs", async () => {
    const path = join(dir, "weights.onnx");
    const weights = new Float32Array(300_000).fill(0.25); // 1.2 MB of raw_data to skip
    await writeFile(
      path,
      encodeTestModel({
        inputs: [{ name: "x", type: "float32", shape: [300_000] }],
        outputs: [{ name: "y", type: "float32", shape: [300_000] }],
        nodes: [{ opType: "Add", input: ["x", "w"], output: ["y"] }],
        initializers: [floatInitializer("w", [300_000], weights)],
        initializersAsInputs: true,
      }),
    );
    const signature = await readOnnxSignature(path);
    expect(signature.inputs.map((i) => i.name)).toEqual(["x"]);
    expect(signature.outputs[0].shape).toEqual([300_000]);
  });

  it("lists the files that initializers keep external data in", async () => {
    const path = join(dir, "external.onnx");
    await writeFile(
      path,
      encodeTestModel({
        inputs: [{ name: "x", type: "float32", shape: [2] }],
        outputs: [{ name: "y", type: "float32", shape: [2] }],
        nodes: [{ opType: "Add", input: ["x", "w"], output: ["y"] }],
        initializers: [
          externalInitializer("w", [2], "external.onnx.data", 0, 8),
          externalInitializer("v", [2], "external.onnx.data", 8, 8),
        ],
      }),
    );
    expect((await readOnnxSignature(path)).externalDataFiles).toEqual(["external.onnx.data"]);
  });

  it("rejects a file that is not a protobuf model, naming the file", async () => {
    const path = join(dir, "garbage.onnx");
    await writeFile(path, Buffer.from([0x3a, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3])); // graph field claiming 4 GB
    await expect(readOnnxSignature(path)).rejects.toThrow(OnnxSignatureError);
    await expect(readOnnxSignature(path)).rejects.toThrow(/garbage\.onnx/);
    await expect(readOnnxSignature(join(dir, "missing.onnx"))).rejects.toThrow(/missing\.onnx/);
  });
});

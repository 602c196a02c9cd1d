import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSafetensors } from "./safetensors-writer.ts";
import { openCheckpoint, openShardedCheckpoint } from "./sharded.ts";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "infix-shards-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

function float32Tensor(name: string, values: number[], shape = [values.length]) {
  return { name, dtype: "float32" as const, shape, bytes: () => new Uint8Array(Float32Array.from(values).buffer) };
}

async function writeIndex(name: string, weightMap: Record<string, string>): Promise<string> {
  const file = path.join(folder, name);
  await writeFile(file, JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  return file;
}

describe("openShardedCheckpoint", () => {
  it("reads every tensor from the shard the weight_map names, shard by shard in file order", async () => {
    await writeSafetensors(path.join(folder, "model-00001-of-00002.safetensors"), [
      float32Tensor("b.weight", [1, 2, 3, 4], [2, 2]),
      float32Tensor("a.bias", [5]),
    ]);
    await writeSafetensors(path.join(folder, "model-00002-of-00002.safetensors"), [float32Tensor("c.weight", [6, 7])]);
    const index = await writeIndex("model.safetensors.index.json", {
      "a.bias": "model-00001-of-00002.safetensors",
      "c.weight": "model-00002-of-00002.safetensors",
      "b.weight": "model-00001-of-00002.safetensors",
    });
    const checkpoint = await openCheckpoint(index);
    try {
      expect(checkpoint.label).toBe("model.safetensors.index.json");
      expect(checkpoint.names()).toEqual(["b.weight", "a.bias", "c.weight"]);
      expect(checkpoint.info("b.weight")).toEqual({ name: "b.weight", dtype: "float32", shape: [2, 2] });
      expect(Array.from(await checkpoint.readFloat32("c.weight"))).toEqual([6, 7]);
      expect(Array.from(await checkpoint.readFloat32("b.weight"))).toEqual([1, 2, 3, 4]);
      await expect(checkpoint.readFloat32("d")).rejects.toThrow(/\(d\): no such tensor in the weight_map/);
    } finally {
      await checkpoint.close();
    }
  });

  it("reads PyTorch .bin shards (torch.save's own files)", async () => {
    const vectors = JSON.parse(readFileSync(new URL("./torch-bin-vectors.fixture.json", import.meta.url), "utf8")) as {
      readable: { name: string; bin_base64: string; tensors: Record<string, { values: number[] }> }[];
    };
    const [dtypes, views] = vectors.readable;
    await writeFile(path.join(folder, "pytorch_model-00001-of-00002.bin"), Buffer.from(dtypes.bin_base64, "base64"));
    await writeFile(path.join(folder, "pytorch_model-00002-of-00002.bin"), Buffer.from(views.bin_base64, "base64"));
    const index = await writeIndex("pytorch_model.bin.index.json", {
      f16: "pytorch_model-00001-of-00002.bin",
      transposed: "pytorch_model-00002-of-00002.bin",
    });
    const checkpoint = await openShardedCheckpoint(index);
    try {
      expect(checkpoint.names()).toEqual(["f16", "transposed"]);
      expect(Array.from(await checkpoint.readFloat32("f16"))).toEqual(dtypes.tensors.f16.values);
      expect(Array.from(await checkpoint.readFloat32("transposed"))).toEqual(views.tensors.transposed.values);
    } finally {
      await checkpoint.close();
    }
  });

  it("refuses an index that maps a tensor to a shard without it, naming both", async () => {
    await writeSafetensors(path.join(folder, "lone.safetensors"), [float32Tensor("x", [1])]);
    const index = await writeIndex("wrong.safetensors.index.json", { y: "lone.safetensors" });
    await expect(openShardedCheckpoint(index)).rejects.toThrow(
      /wrong\.safetensors\.index\.json \(y\): the index maps it to lone\.safetensors, which has no such tensor/,
    );
  });

  it("refuses shard paths outside the index's folder", async () => {
    const index = await writeIndex("escape.safetensors.index.json", { x: "../outside.safetensors" });
    await expect(openShardedCheckpoint(index)).rejects.toThrow(/must be a file name beside the index/);
  });

  it("names a missing shard file", async () => {
    const index = await writeIndex("gap.safetensors.index.json", { x: "absent.safetensors" });
    await expect(openShardedCheckpoint(index)).rejects.toThrow(/absent\.safetensors: cannot open the file/);
  });

  it("refuses an index without a weight_map", async () => {
    const file = path.join(folder, "empty.bin.index.json");
    await writeFile(file, JSON.stringify({ metadata: {} }));
    await expect(openShardedCheckpoint(file)).rejects.toThrow(/needs a "weight_map" object/);
  });
});

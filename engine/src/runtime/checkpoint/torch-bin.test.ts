import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTorchBin } from "./torch-bin.ts";
import { CheckpointError } from "./types.ts";

// Files written by torch.save itself (tools/torch_bin_vectors.py), with torch's own `.float()` values.
interface ReadableCase {
  name: string;
  description: string;
  bin_base64: string;
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
}

interface RefusedCase {
  name: string;
  bin_base64: string;
  refused_global: string;
}

const vectors = JSON.parse(readFileSync(new URL("./torch-bin-vectors.fixture.json", import.meta.url), "utf8")) as {
  readable: ReadableCase[];
  refused: RefusedCase[];
  no_tensors: { name: string; bin_base64: string; top_level_keys: string[] }[];
};

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "infix-torch-bin-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function written(name: string, base64: string): Promise<string> {
  const file = path.join(folder, `${name}.bin`);
  await writeFile(file, Buffer.from(base64, "base64"));
  return file;
}

describe("openTorchBin", () => {
  for (const testCase of vectors.readable) {
    it(`reads ${testCase.description} exactly as torch does (${testCase.name})`, async () => {
      const checkpoint = await openTorchBin(await written(testCase.name, testCase.bin_base64));
      try {
        expect(checkpoint.names()).toEqual(Object.keys(testCase.tensors));
        for (const [name, expected] of Object.entries(testCase.tensors)) {
          expect(checkpoint.info(name)).toEqual({ name, dtype: expected.dtype, shape: expected.shape });
          const values = await checkpoint.readFloat32(name);
          expect(Array.from(values), name).toEqual(expected.values);
        }
      } finally {
        await checkpoint.close();
      }
    });
  }

  it("names a missing tensor", async () => {
    const testCase = vectors.readable[0];
    const checkpoint = await openTorchBin(await written("missing", testCase.bin_base64));
    await expect(checkpoint.readFloat32("nope")).rejects.toThrow(/missing\.bin \(nope\): no such tensor/);
    expect(checkpoint.info("nope")).toBeUndefined();
    await checkpoint.close();
  });

  for (const testCase of vectors.refused) {
    it(`refuses a pickle that calls ${testCase.refused_global}, naming the global`, async () => {
      const file = await written(testCase.name, testCase.bin_base64);
      const error = await openTorchBin(file).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as Error).message).toContain(`refused pickle global ${testCase.refused_global}`);
      expect((error as Error).message).toContain(`${testCase.name}.bin`);
    });
  }

  it("says so when a file holds no tensors at its top level (a wrapped training checkpoint)", async () => {
    for (const testCase of vectors.no_tensors) {
      const file = await written(testCase.name, testCase.bin_base64);
      await expect(openTorchBin(file)).rejects.toThrow(
        `${testCase.name}.bin: holds no tensors at its top level (keys: ${testCase.top_level_keys.join(", ")})`,
      );
    }
  });

  it("refuses a file that is not a zip archive (a pre-1.6 torch.save or something else)", async () => {
    const file = path.join(folder, "legacy.bin");
    await writeFile(file, Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20]));
    await expect(openTorchBin(file)).rejects.toThrow(/legacy\.bin: not a PyTorch zip checkpoint/);
  });
});

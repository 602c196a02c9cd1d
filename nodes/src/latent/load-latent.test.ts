import { describe, expect, it } from "vitest";
import { encodeNpy, floatTensor } from "@infix/engine";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { checkLatentShape, loadLatentNode } from "./load-latent.ts";

/** Only the manifest is read: a pack handle whose VAE has `channels` latent channels. */
const packWith = (channels: number) => ({
  id: "p",
  manifest: { vae: { scale_factor: 8, latent_channels: channels } },
  run: async () => ({}),
});

/** A version 1.0 .npy written by hand from the spec, for dtypes our writer never produces. */
function handWrittenNpy(descr: string, shape: number[], payload: Uint8Array): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const header = dict.padEnd(128 - 10 - 1, " ") + "\n";
  return new Uint8Array([
    ...Buffer.from("\x93NUMPY\x01\x00", "latin1"),
    header.length & 0xff,
    header.length >> 8,
    ...Buffer.from(header, "latin1"),
    ...payload,
  ]);
}

describe("Load Latent", () => {
  it("loads a .npy as LATENT with exactly the saved float32 values", async () => {
    const ctx = createTestContext();
    const data = Float32Array.from({ length: 4 * 3 * 2 }, (_, i) => Math.fround(Math.cos(i) * 3));
    ctx.addInput("start.npy", encodeNpy(floatTensor([1, 4, 3, 2], data)));
    const { latent } = await runNode(loadLatentNode, { file: "start.npy" }, ctx);
    expect(latent).toMatchObject({ type: "LATENT", samples: { dims: [1, 4, 3, 2] } });
    expect((latent as { samples: { data: Float32Array } }).samples.data).toEqual(data);
  });

  it("converts float64 files to float32 and logs it", async () => {
    const ctx = createTestContext();
    const warnings: string[] = [];
    const withLog = { ...ctx, log: { info: () => undefined, warn: (m: string) => void warnings.push(m) } };
    const values = Float64Array.from({ length: 4 }, (_, i) => 0.1 * (i + 1));
    ctx.addInput("f64.npy", handWrittenNpy("<f8", [1, 4, 1, 1], new Uint8Array(values.buffer)));
    const { latent } = await runNode(loadLatentNode, { file: "f64.npy" }, withLog);
    expect(Array.from((latent as { samples: { data: Float32Array } }).samples.data)).toEqual(
      Array.from(values, (v) => Math.fround(v)),
    );
    expect(warnings).toEqual([expect.stringMatching(/f64\.npy: converted '<f8' values to float32/)]);
  });

  it("refuses an array that is not rank 4, naming node, input, expected and found", async () => {
    const ctx = createTestContext();
    ctx.addInput("flat.npy", encodeNpy(floatTensor([4, 8, 8])));
    const problem = await runNodeFailure(loadLatentNode, { file: "flat.npy" }, ctx);
    expect(problem).toMatchObject({ nodeId: "n1", input: "file", expected: "[B,4,h,w]", found: "[4,8,8]" });
    expect(problem.message).toMatch(/"flat\.npy" has shape \[4,8,8\], rank 3; latents are rank 4/);
  });

  it("checks the channels against the connected pack, and against 4 without one", async () => {
    const ctx = createTestContext();
    ctx.addInput("four.npy", encodeNpy(floatTensor([1, 4, 2, 2])));
    const problem = await runNodeFailure(loadLatentNode, { file: "four.npy", pack: packWith(16) }, ctx);
    expect(problem).toMatchObject({ input: "file", expected: "[B,16,h,w]", found: "[1,4,2,2]" });
    await expect(runNode(loadLatentNode, { file: "four.npy", pack: packWith(4) }, ctx)).resolves.toHaveProperty(
      "latent",
    );
    ctx.addInput("sixteen.npy", encodeNpy(floatTensor([1, 16, 2, 2])));
    expect((await runNodeFailure(loadLatentNode, { file: "sixteen.npy" }, ctx)).message).toMatch(
      /has 16 channels .* have 4/,
    );
  });

  it("passes the file format's complaint on, naming the file", async () => {
    const ctx = createTestContext();
    ctx.addInput("big.npy", handWrittenNpy(">f4", [1, 4, 1, 1], new Uint8Array(16)));
    const problem = await runNodeFailure(loadLatentNode, { file: "big.npy" }, ctx);
    expect(problem).toMatchObject({ input: "file", found: "'>f4'" });
    expect(problem.message).toMatch(/^big\.npy: big-endian/);
    ctx.addInput("picture.npy", "\x89PNG not really");
    expect((await runNodeFailure(loadLatentNode, { file: "picture.npy" }, ctx)).message).toMatch(
      /picture\.npy: this is not a \.npy file/,
    );
  });

  it("says what to do when the file is missing", async () => {
    const problem = await runNodeFailure(loadLatentNode, { file: "nowhere.npy" }, createTestContext());
    expect(problem).toMatchObject({ input: "file", found: "nowhere.npy" });
    expect(problem.message).toMatch(/Cannot read "nowhere\.npy" from the input folder .*upload/);
  });

  it("keys the cache on the file's content, not its name", async () => {
    const ctx = createTestContext();
    ctx.addInput("x.npy", encodeNpy(floatTensor([1, 4, 1, 1])));
    const before = await loadLatentNode.cacheKeyExtra?.({ file: "x.npy" }, ctx);
    ctx.addInput("x.npy", encodeNpy(floatTensor([1, 4, 1, 1], Float32Array.from([1, 0, 0, 0]))));
    const after = await loadLatentNode.cacheKeyExtra?.({ file: "x.npy" }, ctx);
    expect(before).toMatch(/^sha256:/);
    expect(after).not.toBe(before);
  });
});

describe("checkLatentShape", () => {
  it("accepts [B,C,h,w] with the right C and says what is wrong otherwise", () => {
    expect(checkLatentShape([2, 4, 64, 64], 4)).toBeNull();
    expect(checkLatentShape([2, 4, 0, 64], 4)).toMatch(/empty axis/);
    expect(checkLatentShape([1, 1, 4, 8, 8], 4)).toMatch(/rank 5/);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeNpy, floatTensor } from "@infix/engine";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { saveLatentNode } from "./save-latent.ts";

describe("Save Latent", () => {
  it("writes the samples as a float32 .npy in the output folder and shows its name and shape", async () => {
    const ctx = createTestContext();
    const data = Float32Array.from({ length: 2 * 4 * 2 * 3 }, (_, i) => (i - 7) / 3);
    await runNode(
      saveLatentNode,
      { latent: { type: "LATENT", samples: floatTensor([2, 4, 2, 3], data) }, filename_prefix: "runs/start" },
      ctx,
    );
    expect(ctx.shown).toEqual([{ text: ["output/runs/start-0.npy [2,4,2,3] float32"] }]);
    const bytes = readFileSync(join(ctx.root, "output", "runs", "start-0.npy"));
    // float32 little-endian after a 128-byte header: the spec's layout for this shape.
    expect(bytes.length).toBe(128 + data.length * 4);
    expect(bytes.subarray(0, 128).toString("latin1")).toContain(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 2, 3), }",
    );
    expect(bytes.readFloatLE(128 + 4 * 5)).toBe(data[5]);
    expect(decodeNpy(bytes).data).toEqual(data);
  });

  it("keeps the file inside the output folder whatever the prefix", async () => {
    const ctx = createTestContext();
    await runNode(
      saveLatentNode,
      { latent: { type: "LATENT", samples: floatTensor([1, 4, 1, 1]) }, filename_prefix: "../../etc/x" },
      ctx,
    );
    expect(ctx.shown[0].text?.[0]).toMatch(/^output\/etc\/x-0\.npy /);
  });

  it("says the noise mask is not saved", async () => {
    const ctx = createTestContext();
    const latent = { type: "LATENT", samples: floatTensor([1, 4, 1, 1]), noiseMask: floatTensor([1, 1, 1, 1]) };
    await runNode(saveLatentNode, { latent }, ctx);
    expect(ctx.shown[0].text?.[0]).toMatch(/noise mask was not saved/);
  });

  it("refuses something that is not a LATENT, naming the input", async () => {
    const problem = await runNodeFailure(saveLatentNode, { latent: { type: "IMAGE" } }, createTestContext());
    expect(problem).toMatchObject({ nodeId: "n1", input: "latent", expected: "LATENT", found: "IMAGE" });
  });
});

import { describe, expect, it } from "vitest";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { checkLatentSize, emptyLatentNode } from "./empty-latent.ts";

// Only the manifest is read; a pack handle with the VAE section of a scale-4 pack.
const pack = {
  id: "p",
  manifest: { vae: { scale_factor: 4, latent_channels: 4 }, unet: { default_size: 24 } },
  run: async () => ({}),
};

describe("Empty Latent", () => {
  it("makes zeros [B,C,H/f,W/f] from the pack's scale factor", async () => {
    const { latent } = await runNode(
      emptyLatentNode,
      { pack, width: 32, height: 16, batch_size: 2 },
      createTestContext(),
    );
    expect(latent).toMatchObject({ type: "LATENT", samples: { dims: [2, 4, 4, 8] } });
    expect((latent as { samples: { data: Float32Array } }).samples.data.every((v) => v === 0)).toBe(true);
  });

  it("makes the pack's default size when width and height are left at 'pack default'", async () => {
    const { latent } = await runNode(
      emptyLatentNode,
      { pack, width: 0, height: 16, batch_size: 1 },
      createTestContext(),
    );
    expect(latent).toMatchObject({ samples: { dims: [1, 4, 4, 6] } });
    const schema = emptyLatentNode.schema.inputs.find((i) => i.name === "width");
    expect(schema?.widget).toMatchObject({ default: 0, special: { value: 0, label: "pack default" } });
  });

  it("rejects a width that is not a multiple of the pack's scale factor, naming the input", async () => {
    const problem = await runNodeFailure(
      emptyLatentNode,
      { pack, width: 30, height: 16, batch_size: 1 },
      createTestContext(),
    );
    expect(problem).toMatchObject({ nodeId: "n1", input: "width" });
    expect(problem.message).toMatch(/width 30 is not a multiple of the VAE scale factor 4; try 28 or 32/);
  });

  it("validates literal sizes against the common factor 8 before running", () => {
    expect(emptyLatentNode.validate?.({ width: 512, height: 500 })).toEqual([
      "height 500 is not a multiple of the VAE scale factor 8; try 496 or 504.",
    ]);
    expect(checkLatentSize(64, 64, 8)).toEqual([]);
  });
});

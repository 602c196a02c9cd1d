import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { chooseWeightFile, openComponentCheckpoint } from "./weight-files.ts";

describe("chooseWeightFile", () => {
  it("prefers safetensors to a pickle", () => {
    expect(chooseWeightFile(["config.json", "pytorch_model.bin", "model.safetensors"])).toBe("model.safetensors");
  });
  it("prefers a shard index to a lone file of the same format", () => {
    const files = [
      "diffusion_pytorch_model.safetensors.index.json",
      "diffusion_pytorch_model-00001-of-00002.safetensors",
      "diffusion_pytorch_model.bin",
    ];
    expect(chooseWeightFile(files)).toBe("diffusion_pytorch_model.safetensors.index.json");
  });
  it("takes a .bin when that is all there is, and never a variant", () => {
    expect(chooseWeightFile(["diffusion_pytorch_model.fp16.safetensors", "diffusion_pytorch_model.bin"])).toBe(
      "diffusion_pytorch_model.bin",
    );
    expect(chooseWeightFile(["diffusion_pytorch_model.fp16.safetensors", "config.json"])).toBeUndefined();
  });
});

describe("openComponentCheckpoint", () => {
  const fixture = fileURLToPath(new URL("../../../../../shared/fixtures/blip-diffusion-tiny/", import.meta.url));

  it("opens the fixture's UNet from its safetensors", async () => {
    if (!existsSync(fixture))
      throw new Error(`missing fixture ${fixture}: the shared fixtures must sit beside the repository`);
    const unet = await openComponentCheckpoint(`${fixture}unet`);
    try {
      expect(unet.label).toBe("unet/diffusion_pytorch_model.safetensors");
      expect(unet.info("conv_in.weight")?.shape.length).toBe(4);
    } finally {
      await unet.close();
    }
  });

  it("says which files it looked for when a folder has no weights", async () => {
    await expect(openComponentCheckpoint(`${fixture}scheduler`)).rejects.toThrow(
      /scheduler: no weight file: expected one of diffusion_pytorch_model\.safetensors\.index\.json/,
    );
  });
});

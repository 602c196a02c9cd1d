import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openSafetensors } from "./safetensors.ts";
import { openTorchBin } from "./torch-bin.ts";

// The diffusers fixture saves every component twice (save_pretrained with and without
// safe_serialization) from the same weights: both readers must give every tensor identically.
const fixture = fileURLToPath(new URL("../../../../../shared/fixtures/blip-diffusion-tiny/", import.meta.url));
const components: readonly [string, string, string][] = [
  ["unet", "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"],
  ["vae", "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"],
  ["text_encoder", "model.safetensors", "pytorch_model.bin"],
  ["qformer", "model.safetensors", "pytorch_model.bin"],
  ["controlnet-canny", "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"],
];

describe("the fixture's .bin and .safetensors weights", () => {
  for (const [component, safetensorsName, binName] of components) {
    it(`read identically for ${component}`, async () => {
      const folder = `${fixture}${component}/`;
      if (!existsSync(folder)) {
        throw new Error(`missing fixture ${folder}: the shared fixtures must sit beside the repository (../shared)`);
      }
      const fromSafetensors = await openSafetensors(folder + safetensorsName);
      const fromBin = await openTorchBin(folder + binName);
      try {
        expect([...fromBin.names()].sort()).toEqual([...fromSafetensors.names()].sort());
        expect(fromBin.names().length).toBeGreaterThan(10);
        for (const name of fromSafetensors.names()) {
          expect(fromBin.info(name), name).toEqual(fromSafetensors.info(name));
          const [a, b] = [await fromBin.readFloat32(name), await fromSafetensors.readFloat32(name)];
          // Byte comparison, so that NaN payloads and -0 count too.
          expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), name).toBe(true);
        }
      } finally {
        await Promise.all([fromBin.close(), fromSafetensors.close()]);
      }
    });
  }
});

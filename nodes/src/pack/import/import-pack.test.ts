import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPack } from "../loader.ts";
import type { PackManifest } from "../manifest.ts";
import { importDiffusersPack } from "./import-pack.ts";

const fixture = fileURLToPath(new URL("../../../../../shared/fixtures/blip-diffusion-tiny", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "infix-import-"));

function requireFixture(): void {
  if (!existsSync(fixture))
    throw new Error(`missing fixture ${fixture}: ../shared/fixtures must sit beside the repository`);
}

/** A copy of the fixture whose `file` JSON is edited by `edit`. */
function editedCopy(name: string, file: string, edit: (json: Record<string, unknown>) => void): string {
  const copy = join(work, name);
  cpSync(fixture, copy, { recursive: true });
  const path = join(copy, file);
  const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  edit(json);
  writeFileSync(path, JSON.stringify(json));
  return copy;
}

describe("importDiffusersPack on the diffusers fixture", () => {
  let manifest: PackManifest;
  const out = join(work, "models", "tiny-import");
  const progress: string[] = [];

  beforeAll(async () => {
    requireFixture();
    ({ manifest } = await importDiffusersPack({
      source: fixture,
      out,
      controlnets: [{ folder: join(fixture, "controlnet-canny") }],
      onProgress: (e) => progress.push(`${e.component}:${e.state}`),
    }));
  }, 60_000);

  it("writes the manifest from the configs: Q, D, sizes, scheduler, preprocessing", () => {
    expect(manifest).toMatchObject({
      num_query_tokens: 8,
      ctx_begin_pos: 2,
      text_max_length: 77,
      text_hidden_size: 32,
      qformer: {
        image_size: 224,
        image_mean: [0.48145466, 0.4578275, 0.40821073],
        image_std: [0.26862954, 0.26130258, 0.27577711],
      },
      vae: { scale_factor: 8, scaling_factor: 0.18215, latent_channels: 4 },
      // sample_size 16 latents → 128 px; self-attention control at ≤ (16/4)² tokens.
      unet: { attention_control: true, default_size: 128, self_attn_max_tokens: 16, controlnet_residuals: 8 },
      scheduler: { _class_name: "PNDMScheduler", skip_prk_steps: true, beta_schedule: "scaled_linear" },
      controlnets: [{ name: "canny", file: "controlnet/canny.onnx", preprocessor: "canny" }],
    });
    expect(manifest.unet.controlnet_residual_shapes[0]).toEqual({ channels: 16, downscale: 1 });
    expect(manifest.unet.controlnet_residual_shapes.at(-1)).toEqual({ channels: 32, downscale: 8, mid: true });
  });

  it("reports each component as it starts and finishes, in order", () => {
    expect(progress.slice(0, 2)).toEqual(["text_encoder:started", "text_encoder:finished"]);
    expect(progress.filter((p) => p.endsWith(":finished"))).toHaveLength(7);
  });

  it("makes a pack the loader accepts (every graph's contract, tokenizers)", async () => {
    const pack = await loadPack(out);
    expect(pack.hasGraph("controlnet/canny")).toBe(true);
    expect(pack.hasGraph("vae_encoder")).toBe(true);
    const ids = (await pack.bertTokenizer()).encode("dog");
    expect(ids.ids.length).toBeGreaterThan(0);
  });

  it("refuses to overwrite an existing folder", async () => {
    await expect(importDiffusersPack({ source: fixture, out })).rejects.toThrow(/already exists/);
  });

  it("leaves nothing behind when interrupted (no pack, no temporary folder)", async () => {
    const target = join(work, "interrupted", "pack");
    const controller = new AbortController();
    const attempt = importDiffusersPack({
      source: fixture,
      out: target,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.component === "unet" && e.state === "finished") controller.abort(new Error("stop"));
      },
    });
    await expect(attempt).rejects.toThrow("stop");
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(join(work, "interrupted"))).toEqual([]);
  });
});

describe("precision and external data", () => {
  const inline = join(work, "inline-pack");
  beforeAll(async () => {
    requireFixture();
    await importDiffusersPack({ source: fixture, out: inline });
  }, 60_000);

  async function qformerOutput(dir: string): Promise<Float32Array> {
    const pack = await loadPack(dir);
    const bert = await pack.bertTokenizer();
    const { ids } = bert.encode("dog");
    const T = ids.length;
    const outputs = await pack.run("qformer", {
      pixel_values: {
        dims: [1, 3, 224, 224],
        data: Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.cos(i / 97)),
      },
      input_ids: { dims: [1, T], data: BigInt64Array.from(ids.map(BigInt)) },
      attention_mask: { dims: [1, T], data: new BigInt64Array(T).fill(1n) },
    });
    return outputs.ctx_embeddings.data;
  }

  it("keeps graphs over the threshold in <graph>.onnx.data; the pack loads and computes the same", async () => {
    const external = join(work, "external-pack");
    await importDiffusersPack({ source: fixture, out: external, externalDataThreshold: 64 * 1024 });
    expect(existsSync(join(external, "unet.onnx.data"))).toBe(true);
    expect(existsSync(join(inline, "unet.onnx.data"))).toBe(false);
    expect(Array.from(await qformerOutput(external))).toEqual(Array.from(await qformerOutput(inline)));
  });

  it("--precision fp16 writes float16 graphs the manifest declares (the force_upcast VAE stays float32), within half precision of fp32", async () => {
    const half = join(work, "half-pack");
    const { manifest } = await importDiffusersPack({ source: fixture, out: half, precision: "fp16" });
    expect(manifest.dtypes).toEqual({
      qformer: "float16",
      text_encoder: "float16",
      unet: "float16",
    });
    const [ours, reference] = [await qformerOutput(half), await qformerOutput(inline)];
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - reference[i]));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(2e-2);
  });
});

it("refuses --precision fp16 for a UNet with upcast_attention", async () => {
  requireFixture();
  const source = editedCopy("upcast", "unet/config.json", (j) => (j.upcast_attention = true));
  await expect(importDiffusersPack({ source, out: join(work, "upcast-pack"), precision: "fp16" })).rejects.toThrow(
    /unet\/config.json: upcast_attention = true .* import with --precision fp32/,
  );
});

describe("config fields that change the math are honoured or refused by name", () => {
  beforeAll(requireFixture);
  const cases: [string, string, (json: Record<string, unknown>) => void, RegExp][] = [
    [
      "linear-projection",
      "unet/config.json",
      (j) => (j.use_linear_projection = true),
      /unet\/config.json: use_linear_projection = true is not supported/,
    ],
    ["gated-attention", "unet/config.json", (j) => (j.attention_type = "gated"), /attention_type = "gated"/],
    ["scale-shift", "unet/config.json", (j) => (j.resnet_time_scale_shift = "scale_shift"), /resnet_time_scale_shift/],
    ["groups", "unet/config.json", (j) => (j.norm_num_groups = 3), /norm_num_groups/],
    [
      "relu-clip",
      "text_encoder/config.json",
      (j) => (j.hidden_act = "relu"),
      /text_encoder\/config.json: hidden_act = "relu"/,
    ],
    [
      "relative-positions",
      "qformer/config.json",
      (j) => ((j.qformer_config as Record<string, unknown>).position_embedding_type = "relative_key"),
      /qformer_config.position_embedding_type = "relative_key"/,
    ],
    // Three heads do not split the 32-wide vision width.
    [
      "vision-heads",
      "qformer/config.json",
      (j) => ((j.vision_config as Record<string, unknown>).num_attention_heads = 3),
      /vision_config.num_attention_heads = 3 is not supported \(Infix implements "a divisor of hidden_size 32"\)/,
    ],
    // Weights for 2 layers, config for 1: the checkpoint holds tensors the config does not describe.
    [
      "fewer-layers",
      "text_encoder/config.json",
      (j) => (j.num_hidden_layers = 1),
      /not part of the architecture its config.json describes/,
    ],
    // Every-other-layer cross-attention: layer 1's crossattention tensors are left over.
    [
      "cross-frequency",
      "qformer/config.json",
      (j) => ((j.qformer_config as Record<string, unknown>).cross_attention_frequency = 2),
      /encoder\.layer\.1\.crossattention/,
    ],
    [
      "wider-vae",
      "vae/config.json",
      (j) => (j.block_out_channels = [8, 8, 16, 32]),
      /is \[16.*but the config makes it \[32/,
    ],
  ];
  for (const [name, file, edit, message] of cases) {
    it(`${name}: ${file}`, async () => {
      const source = editedCopy(name, file, edit);
      const out = join(work, "refused", name);
      await expect(importDiffusersPack({ source, out })).rejects.toThrow(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});

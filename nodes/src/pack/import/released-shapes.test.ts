import { describe, expect, it } from "vitest";
import { ShapeOnlyWeights } from "./checkpoint-weights.ts";
import { clipVitLText, controlnetCanny, releasedQformer, sd15Unet, sdVae } from "./released-configs.ts";
import { ConfigReader } from "./config-fields.ts";
import { assertControlnetFitsUnet, buildImportedControlnet, readControlnetConfig } from "./controlnet.ts";
import { buildImportedQformer, readQformerConfig } from "./qformer.ts";
import { buildImportedTextEncoder, readTextEncoderConfig } from "./text-encoder.ts";
import { buildImportedUnet } from "./unet.ts";
import { readUnetConfig, unetResidualShapes } from "./unet-config.ts";
import { buildImportedVaeDecoder, buildImportedVaeEncoder, readVaeConfig } from "./vae.ts";

/**
 * The released checkpoints (Salesforce/blipdiffusion, lllyasviel/sd-controlnet-canny) differ
 * from the fixture in size only. Their configs' architecture fields, as published, build graphs
 * here with a shape-only weight source; the parameter lists are checked against the published
 * parameter counts (SD 1.5 UNet 859,520,964; SD VAE 83,653,863; CLIP ViT-L/14 text 123,060,480).
 */

const reader = (name: string, json: object) => new ConfigReader(name, json as Record<string, unknown>);

describe("graphs of the released sizes build from their configs (no weights allocated)", () => {
  it("SD 1.5 UNet: heads = attention_head_dim (8), cross-attention 768, 859,520,964 parameters", () => {
    const config = readUnetConfig(reader("unet/config.json", sd15Unet), "unet");
    expect(config.heads).toEqual([8, 8, 8, 8]);
    const weights = new ShapeOnlyWeights();
    buildImportedUnet(config, weights, { textLength: 77, selfAttnMaxTokens: 256 });
    expect(weights.parameterCount()).toBe(859_520_964);
    expect(weights.shapes.get("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight")).toEqual([320, 768]);
    expect(weights.shapes.get("mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj.weight")).toEqual([
      10240, 1280,
    ]);
    expect(unetResidualShapes(config)).toHaveLength(13);
  });

  it("sd-controlnet-canny fits the SD 1.5 UNet and builds with its conditioning embedding", () => {
    const config = readControlnetConfig(reader("controlnet/config.json", controlnetCanny));
    assertControlnetFitsUnet("canny", config, readUnetConfig(reader("unet/config.json", sd15Unet), "unet"));
    const weights = new ShapeOnlyWeights();
    buildImportedControlnet(config, weights, 77);
    expect(weights.shapes.get("controlnet_cond_embedding.conv_out.weight")).toEqual([320, 256, 3, 3]);
    expect(weights.shapes.get("controlnet_down_blocks.11.weight")).toEqual([1280, 1280, 1, 1]);
    expect(weights.shapes.get("controlnet_mid_block.weight")).toEqual([1280, 1280, 1, 1]);
  });

  it("CLIP ViT-L/14 text encoder: 123,060,480 parameters", () => {
    const weights = new ShapeOnlyWeights();
    buildImportedTextEncoder(readTextEncoderConfig(reader("text_encoder/config.json", clipVitLText)), weights);
    expect(weights.parameterCount()).toBe(123_060_480);
  });

  it("SD VAE: encoder and decoder together 83,653,863 parameters", () => {
    const config = readVaeConfig(reader("vae/config.json", sdVae));
    const weights = new ShapeOnlyWeights();
    buildImportedVaeEncoder(config, weights);
    buildImportedVaeDecoder(config, weights);
    expect(config.scaleFactor).toBe(8);
    expect(weights.parameterCount()).toBe(83_653_863);
  });

  it("BLIP-Diffusion Q-Former: Q = 16, ViT 1024 wide, 23 layers, patch 14, quick_gelu, cross-attention every layer", () => {
    const config = readQformerConfig(reader("qformer/config.json", releasedQformer));
    expect(config.vision).toMatchObject({ hiddenSize: 1024, layers: 23, patchSize: 14, activation: "quick_gelu" });
    expect(config.qformer).toMatchObject({
      hiddenSize: 768,
      layers: 12,
      heads: 12,
      layerNormEps: 1e-12,
      activation: "gelu",
    });
    const weights = new ShapeOnlyWeights();
    buildImportedQformer(config, weights);
    expect(weights.shapes.get("query_tokens")).toEqual([1, 16, 768]);
    expect(weights.shapes.get("visual_encoder.embeddings.position_embedding")).toEqual([1, 257, 1024]);
    expect(weights.shapes.get("visual_encoder.embeddings.patch_embedding.weight")).toEqual([1024, 3, 14, 14]);
    expect(weights.shapes.get("visual_encoder.encoder.layers.22.self_attn.qkv.weight")).toEqual([3072, 1024]);
    expect(weights.shapes.has("visual_encoder.encoder.layers.23.self_attn.qkv.weight")).toBe(false);
    expect(weights.shapes.get("encoder.layer.11.crossattention.attention.key.weight")).toEqual([768, 1024]);
    expect(weights.shapes.get("proj_layer.dense1.weight")).toEqual([3072, 768]);
  });
});

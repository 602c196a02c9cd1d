import type { OnnxGraphSignature } from "@infix/engine/runtime";
import { describe, expect, it } from "vitest";
import { packContract, residualNames } from "./contract.ts";
import { checkGraphSignature } from "./signature.ts";
import { stubManifest } from "./testing/stub-pack.ts";

const vaeDecoder = packContract(stubManifest()).find((c) => c.graph === "vae_decoder")!;

describe("packContract", () => {
  it("names residuals down then mid, and adds a ControlNet per manifest entry", () => {
    expect(residualNames(2, "down_block_res_sample", "mid_block_res_sample")).toEqual([
      "down_block_res_sample_0",
      "down_block_res_sample_1",
      "mid_block_res_sample",
    ]);
    const manifest = stubManifest({
      unet: {
        ...stubManifest().unet,
        controlnet_residuals: 2,
        attention_control: false,
        controlnet_residual_shapes: [],
      },
      controlnets: [{ name: "hed", file: "controlnet/hed.onnx" }],
    });
    const contracts = packContract(manifest);
    const unet = contracts.find((c) => c.graph === "unet")!;
    expect(unet.inputs.map((t) => t.name)).toEqual([
      "sample",
      "timestep",
      "encoder_hidden_states",
      "down_block_additional_residual_0",
      "down_block_additional_residual_1",
      "mid_block_additional_residual",
    ]);
    expect(unet.outputs.map((t) => t.name)).toEqual(["out_sample"]);
    const hed = contracts.find((c) => c.graph === "controlnet/hed")!;
    expect(hed.file).toBe("controlnet/hed.onnx");
    expect(hed.outputs.map((t) => t.name)).toEqual([
      "down_block_res_sample_0",
      "down_block_res_sample_1",
      "mid_block_res_sample",
    ]);
    expect(contracts.find((c) => c.graph === "vae_encoder")?.optional).toBe(true);
  });
});

describe("checkGraphSignature", () => {
  const signature = (overrides: Partial<OnnxGraphSignature>): OnnxGraphSignature => ({
    inputs: [{ name: "latent_sample", elementType: "float32", shape: ["b", 4, "h", "w"] }],
    outputs: [{ name: "sample", elementType: "float32", shape: ["b", 3, "H", "W"] }],
    externalDataFiles: [],
    ...overrides,
  });

  it("accepts a matching graph, extra outputs, and an input of unstated rank", () => {
    expect(checkGraphSignature(vaeDecoder, signature({}), "float32")).toEqual([]);
    const extraOutput = signature({
      outputs: [...signature({}).outputs, { name: "debug", elementType: "float32", shape: [1] }],
    });
    expect(checkGraphSignature(vaeDecoder, extraOutput, "float32")).toEqual([]);
    expect(
      checkGraphSignature(
        vaeDecoder,
        signature({ inputs: [{ name: "latent_sample", elementType: "float32", shape: null }] }),
        "float32",
      ),
    ).toEqual([]);
  });

  it("reads 'float' as the graph's dtype", () => {
    const [problem] = checkGraphSignature(vaeDecoder, signature({}), "float16");
    expect(problem.message).toBe(
      "vae_decoder.onnx: input 'latent_sample' should be float16 of rank 4, found float32 of rank 4",
    );
  });

  it("reports a missing output with the outputs the graph has", () => {
    const [problem] = checkGraphSignature(
      vaeDecoder,
      signature({ outputs: [{ name: "image", elementType: "float32", shape: [1, 3, 8, 8] }] }),
      "float32",
    );
    expect(problem.message).toBe(
      "vae_decoder.onnx: output 'sample' should be float32 of rank 4, found no such output (it has 'image')",
    );
  });
});

import type { PackManifest } from "./manifest.ts";
import type { GraphName } from "./types.ts";

/**
 * The graph tables of ../shared/MODEL_PACK.md as data: for each graph of a pack, the
 * tensors it must take and give, with element type and rank. "float" is float32, or
 * float16 where the manifest's `dtypes` says so for that graph.
 */

export type ContractElementType = "float" | "int64";

export interface TensorContract {
  readonly name: string;
  readonly type: ContractElementType;
  readonly rank: number;
}

export interface GraphContract {
  readonly graph: GraphName;
  /** Path of the .onnx file inside the pack folder. */
  readonly file: string;
  /** An optional graph may be absent; the capability it brings is then off. */
  readonly optional: boolean;
  readonly inputs: readonly TensorContract[];
  readonly outputs: readonly TensorContract[];
}

const float = (name: string, rank: number): TensorContract => ({ name, type: "float", rank });
const int64 = (name: string, rank: number): TensorContract => ({ name, type: "int64", rank });

/** Names of the UNet's ControlNet residual inputs, and of a ControlNet's outputs, in order. */
export function residualNames(count: number, prefix: string, midName: string): string[] {
  return [...Array.from({ length: count }, (_, i) => `${prefix}_${i}`), midName];
}

/** Every graph the manifest calls for, with the tensors each must have. */
export function packContract(manifest: PackManifest): GraphContract[] {
  const residuals = manifest.unet.controlnet_residuals;
  const unetInputs: TensorContract[] = [float("sample", 4), float("timestep", 1), float("encoder_hidden_states", 3)];
  if (residuals > 0) {
    unetInputs.push(
      ...residualNames(residuals, "down_block_additional_residual", "mid_block_additional_residual").map((name) =>
        float(name, 4),
      ),
    );
  }
  const unetOutputs: TensorContract[] = [float("out_sample", 4)];
  if (manifest.unet.attention_control) {
    unetInputs.push(
      int64("cross_attn_base", 1),
      float("cross_attn_map", 3),
      float("cross_attn_keep", 2),
      int64("self_attn_base", 1),
      float("self_attn_mix", 1),
    );
    unetOutputs.push(float("cross_attn_lowres", 3));
  }
  const graphs: GraphContract[] = [
    {
      graph: "qformer",
      file: "qformer.onnx",
      optional: false,
      inputs: [float("pixel_values", 4), int64("input_ids", 2), int64("attention_mask", 2)],
      outputs: [float("ctx_embeddings", 3)],
    },
    {
      graph: "text_encoder",
      file: "text_encoder.onnx",
      optional: false,
      inputs: [int64("input_ids", 2), float("ctx_embeddings", 3), int64("ctx_begin_pos", 1)],
      outputs: [float("last_hidden_state", 3)],
    },
    { graph: "unet", file: "unet.onnx", optional: false, inputs: unetInputs, outputs: unetOutputs },
    {
      graph: "vae_decoder",
      file: "vae_decoder.onnx",
      optional: false,
      inputs: [float("latent_sample", 4)],
      outputs: [float("sample", 4)],
    },
    {
      graph: "vae_encoder",
      file: "vae_encoder.onnx",
      optional: true,
      inputs: [float("sample", 4)],
      outputs: [float("latent_mean", 4), float("latent_logvar", 4)],
    },
  ];
  for (const controlnet of manifest.controlnets) {
    graphs.push({
      graph: `controlnet/${controlnet.name}`,
      file: controlnet.file,
      optional: false,
      inputs: [
        float("sample", 4),
        float("timestep", 1),
        float("encoder_hidden_states", 3),
        float("controlnet_cond", 4),
        float("conditioning_scale", 1),
      ],
      outputs: residualNames(residuals, "down_block_res_sample", "mid_block_res_sample").map((name) => float(name, 4)),
    });
  }
  return graphs;
}

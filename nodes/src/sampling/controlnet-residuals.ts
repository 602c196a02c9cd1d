import { floatTensor, type FloatTensor } from "@infix/engine";
import { prepareControlImage } from "../control/control-image.ts";
import { inputError } from "../inputs.ts";
import { runGraphOutputs } from "../model/pack-input.ts";
import { residualNames } from "../pack/contract.ts";
import type { ModelPack } from "../pack/types.ts";
import type { ControlHint, ImageBatch, UnetCallInfo } from "../sockets.ts";

/**
 * Structure control for the Sampler: the ControlNets a chain of ControlNet Apply nodes stacked,
 * run on each UNet call (diffusers `BlipDiffusionControlNetPipeline` / `MultiControlNetModel`):
 * every ControlNet active at the step sees the same scaled latents, timestep and text states as
 * the UNet (the CFG batch included), its residuals are scaled by its strength and summed in
 * chain order, and the UNet takes the sum. A ControlNet outside its window, or at strength 0,
 * is not run: the UNet keeps its zero residuals.
 */

/** One ControlNet Apply: which network, its condition picture and where it acts. */
export interface ControlNetLayer {
  readonly pack: ModelPack;
  /** A name from the pack manifest's `controlnets`. */
  readonly name: string;
  /** The condition picture(s): 1 image, or one per latent of the batch. */
  readonly condition: ImageBatch;
  /** diffusers `controlnet_conditioning_scale`. */
  readonly strength: number;
  /** Fractions of the steps (diffusers `control_guidance_start` / `control_guidance_end`). */
  readonly start: number;
  readonly end: number;
}

/** The CONTROL value ControlNet Apply outputs: its layers, plus any other control hint it was chained after. */
export interface ControlNetStack extends ControlHint {
  readonly layers: readonly ControlNetLayer[];
  readonly others: readonly ControlHint[];
}

/**
 * Whether a ControlNet with this window acts at step `step` of `total` (diffusers
 * `controlnet_keep`: off when step/total < start or (step + 1)/total > end).
 * @example [0, 1, 2, 3].filter((i) => controlNetActiveAt(0, 0.5, i, 4)) // [0, 1]
 */
export function controlNetActiveAt(start: number, end: number, step: number, total: number): boolean {
  return !(step / total < start || (step + 1) / total > end);
}

function isStack(hint: ControlHint): hint is ControlNetStack {
  return Array.isArray((hint as Partial<ControlNetStack>).layers);
}

/** A stack with `layer` last, after what `previous` (an optional chained CONTROL) holds. */
export function stackControlNet(layer: ControlNetLayer, previous?: ControlHint): ControlNetStack {
  const layers = previous && isStack(previous) ? [...previous.layers, layer] : [layer];
  const others = previous ? (isStack(previous) ? previous.others : [previous]) : [];
  return controlNetStack(layers, others);
}

function controlNetStack(layers: readonly ControlNetLayer[], others: readonly ControlHint[]): ControlNetStack {
  // The prepared condition of each layer per (rows, size): the same on every step of a run.
  const prepared = layers.map(() => new Map<string, FloatTensor>());
  return {
    type: "CONTROL",
    layers,
    others,
    async residuals(call: UnetCallInfo): Promise<Record<string, FloatTensor>> {
      const sum = new ResidualSum();
      for (let index = 0; index < layers.length; index++) {
        const layer = layers[index];
        if (layer.strength === 0 || !controlNetActiveAt(layer.start, layer.end, call.step, call.totalSteps)) continue;
        sum.add(await runControlNet(layer, call, prepared[index]), true);
      }
      for (const other of others) sum.add(await other.residuals(call), false);
      return sum.tensors;
    },
  };
}

/** One ControlNet on one UNet call: its residuals by the UNet's input names. */
async function runControlNet(
  layer: ControlNetLayer,
  call: UnetCallInfo,
  prepared: Map<string, FloatTensor>,
): Promise<Record<string, FloatTensor>> {
  const { manifest } = layer.pack;
  const [rows, , height, width] = call.sample.dims;
  const imageHeight = height * manifest.vae.scale_factor;
  const imageWidth = width * manifest.vae.scale_factor;
  const key = `${rows}:${call.guided}:${imageWidth}x${imageHeight}`;
  let condition = prepared.get(key);
  if (!condition) {
    const batch = call.guided ? rows / 2 : rows;
    condition = prepareControlImage(layer.condition, imageWidth, imageHeight, batch, call.guided);
    prepared.set(key, condition);
  }
  const count = manifest.unet.controlnet_residuals;
  const outputs = residualNames(count, "down_block_res_sample", "mid_block_res_sample");
  const inputs = residualNames(count, "down_block_additional_residual", "mid_block_additional_residual");
  let results: Record<string, FloatTensor>;
  try {
    results = await runGraphOutputs(
      layer.pack,
      `controlnet/${layer.name}`,
      {
        sample: call.sample,
        timestep: floatTensor([rows], new Float32Array(rows).fill(call.timestep)),
        encoder_hidden_states: call.encoderHiddenStates,
        controlnet_cond: condition,
        conditioning_scale: floatTensor([1], new Float32Array([layer.strength])),
      },
      outputs,
      call.signal,
    );
  } catch (error) {
    if (call.signal.aborted) throw error;
    throw inputError(
      "control",
      `ControlNet "${layer.name}" could not run: ${(error as Error).message} Use a ControlNet Apply with the Sampler's model pack.`,
    );
  }
  const residuals: Record<string, FloatTensor> = {};
  outputs.forEach((name, i) => (residuals[inputs[i]] = results[name]));
  return residuals;
}

/**
 * Residual sums by UNet input name, in float32 and in chain order. A ControlNet's outputs are
 * this call's own arrays, so later addends go into them in place; another hint's may be shared,
 * so they are copied before anything is added to them.
 */
class ResidualSum {
  readonly tensors: Record<string, FloatTensor> = {};
  private readonly owned = new Set<string>();

  add(residuals: Record<string, FloatTensor>, owned: boolean): void {
    for (const [name, tensor] of Object.entries(residuals)) {
      const into = this.tensors[name];
      if (!into) {
        this.tensors[name] = tensor;
        if (owned) this.owned.add(name);
        continue;
      }
      if (into.data.length !== tensor.data.length)
        throw inputError(
          "control",
          `Chained ControlNets give residual "${name}" as [${into.dims.join(",")}] and [${tensor.dims.join(",")}]; chain ControlNets of one model pack.`,
        );
      const target = this.owned.has(name) ? into.data : into.data.slice();
      for (let i = 0; i < target.length; i++) target[i] += tensor.data[i];
      this.tensors[name] = { dims: into.dims, data: target };
      this.owned.add(name);
    }
  }
}

import type { NodeDefinition } from "@infix/engine";
import { inputError, numberInput, optionalTaggedInput, stringInput, taggedInput } from "../inputs.ts";
import { packInput } from "../model/pack-input.ts";
import { knownControlnetNames, TINY_CONTROLNET } from "../model/pack-options.ts";
import { PACKS } from "../pack/registry.ts";
import { stackControlNet } from "../sampling/controlnet-residuals.ts";
import type { ControlHint, ImageBatch } from "../sockets.ts";

/** Why start/end/strength cannot be used, one message each ([] when fine). */
function checkWindow(values: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const { start, end, strength } = values;
  for (const [name, value] of [
    ["start", start],
    ["end", end],
  ] as const) {
    if (typeof value === "number" && !(value >= 0 && value <= 1))
      problems.push(`${name} ${value} must be a fraction of the steps between 0 and 1.`);
  }
  if (typeof start === "number" && typeof end === "number" && !(start < end))
    problems.push(`start ${start} must be below end ${end}, or the ControlNet never acts.`);
  if (typeof strength === "number" && !(strength >= 0)) problems.push(`strength ${strength} must be at least 0.`);
  return problems;
}

/**
 * ControlNet Apply: adds one of the pack's ControlNets, with its condition picture, strength
 * and step window, to the CONTROL the Sampler takes (chained after an optional CONTROL input).
 */
export const controlNetApplyNode: NodeDefinition = {
  schema: {
    type: "ControlNetApply",
    version: 1,
    category: "control",
    title: "ControlNet Apply",
    description:
      "Steers where things are drawn: the pack's ControlNet follows the condition picture's structure (for canny, a Canny Edges map) while the subject and prompt decide what is drawn. The picture is resized to the generation size (bicubic, as diffusers). Strength scales its effect; start and end limit it to a fraction of the steps. Chain several through the control input. Depth or HED maps need estimator models no pack has: make them elsewhere and feed them with Load Image.",
    inputs: [
      { name: "pack", type: "MODEL_PACK", description: "The Sampler's model pack, which holds the ControlNet." },
      {
        name: "control_net",
        type: "STRING",
        label: "ControlNet",
        widget: { kind: "ENUM", default: TINY_CONTROLNET, options: [TINY_CONTROLNET] },
        description: "One of the ControlNets the model pack's manifest lists.",
      },
      { name: "image", type: "IMAGE", description: "The condition picture: white structure on black (e.g. edges)." },
      {
        name: "strength",
        type: "FLOAT",
        widget: { kind: "FLOAT", default: 1, min: 0, max: 2, step: 0.05 },
        description: "Multiplies the ControlNet's residuals (diffusers controlnet_conditioning_scale); 0 turns it off.",
      },
      {
        name: "start",
        type: "FLOAT",
        widget: { kind: "FLOAT", default: 0, min: 0, max: 1, step: 0.05 },
        description: "Fraction of the steps before the ControlNet starts acting.",
      },
      {
        name: "end",
        type: "FLOAT",
        widget: { kind: "FLOAT", default: 1, min: 0, max: 1, step: 0.05 },
        description: "Fraction of the steps after which it stops; a step acts when it lies wholly inside [start, end].",
      },
      { name: "control", type: "CONTROL", optional: true, description: "Earlier ControlNets to add this one to." },
    ],
    outputs: [{ name: "control", type: "CONTROL" }],
    isOutput: false,
  },
  dynamicOptions: {
    control_net: (resources) => (resources.has(PACKS) ? knownControlnetNames(resources.get(PACKS)) : [TINY_CONTROLNET]),
  },
  validate: checkWindow,
  async run(inputs) {
    const pack = packInput(inputs);
    const name = stringInput(inputs, "control_net", { nonEmpty: true });
    const image = taggedInput<ImageBatch>(inputs, "image", "IMAGE");
    const strength = numberInput(inputs, "strength");
    const start = numberInput(inputs, "start");
    const end = numberInput(inputs, "end");
    const previous = optionalTaggedInput<ControlHint>(inputs, "control", "CONTROL");
    const [problem] = checkWindow({ start, end, strength });
    if (problem) {
      const input = problem.startsWith("strength") ? "strength" : problem.startsWith("end") ? "end" : "start";
      throw inputError(input, problem);
    }
    const available = pack.manifest.controlnets.map((controlnet) => controlnet.name);
    if (!available.includes(name) || !pack.hasGraph(`controlnet/${name}`)) {
      const choice = available.length > 0 ? `choose one of ${available.join(", ")}` : "this pack has none";
      throw inputError(
        "control_net",
        `Model pack "${pack.id}" has no ControlNet "${name}"; ${choice}.`,
        available.join(" | ") || "a pack with ControlNets",
        name,
      );
    }
    if (image.pixels.dims.length !== 4 || image.pixels.dims[1] !== 3)
      throw inputError(
        "image",
        "The condition picture must be an RGB IMAGE.",
        "[B,3,H,W]",
        `[${image.pixels.dims.join(",")}]`,
      );
    return { control: stackControlNet({ pack, name, condition: image, strength, start, end }, previous) };
  },
};

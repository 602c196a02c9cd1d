import { createScheduler, isSchedulerName, SCHEDULER_NAMES, type NodeDefinition, type NodeInputs } from "@infix/engine";
import { inputError, intInput, numberInput, stringInput } from "../inputs.ts";
import type { SchedulerConfigValue as Override, SchedulerSettings } from "./scheduler-settings.ts";

/** "pack" keeps the pack's value (or, where the pack has none, the scheduler's own default, as diffusers' from_config). */
const PACK = "pack";
const BOOLEAN_CHOICES = [PACK, "true", "false"];
const SPACING_CHOICES = [PACK, "leading", "trailing", "linspace"];
const PREDICTION_CHOICES = [PACK, "epsilon", "v_prediction", "sample"];

/** The `extra` JSON: an object of diffusers config keys to plain values (numbers, booleans, text, a number list). */
function parseExtraKeys(text: string): Record<string, Override> | string {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return `"extra" is not valid JSON (${(error as Error).message}); write an object such as {"beta_end": 0.012}.`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return `"extra" must be a JSON object of diffusers scheduler_config keys, such as {"beta_end": 0.012}.`;
  for (const [key, value] of Object.entries(parsed)) {
    const plain =
      typeof value === "number" ||
      typeof value === "boolean" ||
      typeof value === "string" ||
      (Array.isArray(value) && value.every((item) => typeof item === "number"));
    if (!plain) return `"extra" key "${key}" must be a number, true/false, text or a list of numbers.`;
  }
  return parsed as Record<string, Override>;
}

/** The settings the widget values describe, or a message naming what to fix. */
function settingsFrom(values: NodeInputs): SchedulerSettings | { problem: string; input: string } {
  const name = values.scheduler;
  if (typeof name !== "string" || !isSchedulerName(name))
    return {
      input: "scheduler",
      problem: `Unknown scheduler "${String(name)}"; choose one of ${SCHEDULER_NAMES.join(", ")}.`,
    };
  const extra = parseExtraKeys(typeof values.extra === "string" ? values.extra : "");
  if (typeof extra === "string") return { input: "extra", problem: extra };
  const overrides: Record<string, Override> = { ...extra };
  if (typeof values.steps_offset === "number" && values.steps_offset >= 0) overrides.steps_offset = values.steps_offset;
  for (const key of ["timestep_spacing", "prediction_type"] as const) {
    if (typeof values[key] === "string" && values[key] !== PACK) overrides[key] = values[key];
  }
  for (const key of ["clip_sample", "set_alpha_to_one"] as const) {
    if (values[key] === "true" || values[key] === "false") overrides[key] = values[key] === "true";
  }
  const eta = typeof values.eta === "number" ? values.eta : 0;
  return { type: "SCHEDULER", name, overrides, eta };
}

/** Why the settings cannot make a scheduler on their own (bad key values), or undefined. */
function checkSettings(settings: SchedulerSettings): string | undefined {
  try {
    // The overrides alone, over the scheduler's defaults: catches a wrong value for any key it reads.
    createScheduler(settings.name, {}, { eta: settings.eta, overrides: settings.overrides });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Scheduler: the Sampler's scheduler with diffusers `scheduler_config` settings over the
 * pack's, e.g. LAVIS's editing DDIM (steps_offset 1, clip_sample false, set_alpha_to_one false,
 * η 0). Its SCHEDULER output is plain data (scheduler-settings.ts) that any sampling node builds from.
 */
export const schedulerNode: NodeDefinition = {
  schema: {
    type: "Scheduler",
    version: 1,
    category: "sampling",
    title: "Scheduler",
    description:
      "Scheduler settings for the Sampler, over the model pack's scheduler config: each 'pack' keeps the pack's value (or the scheduler's own default where the pack has none, as diffusers' from_config). LAVIS's editing DDIM is ddim with steps_offset 1, clip_sample false, set_alpha_to_one false, eta 0.",
    inputs: [
      { name: "scheduler", type: "STRING", widget: { kind: "ENUM", default: "ddim", options: [...SCHEDULER_NAMES] } },
      {
        name: "steps_offset",
        type: "INT",
        widget: { kind: "INT", default: -1, min: -1, max: 1000 },
        description: "Added to every timestep (SD 1.5 and LAVIS use 1); -1 keeps the pack's.",
      },
      {
        name: "timestep_spacing",
        type: "STRING",
        widget: { kind: "ENUM", default: PACK, options: SPACING_CHOICES },
        description: "How the inference timesteps are spread over the training ones (diffusers' timestep_spacing).",
      },
      {
        name: "clip_sample",
        type: "STRING",
        widget: { kind: "ENUM", default: PACK, options: BOOLEAN_CHOICES },
        description: "DDIM: clip the predicted clean latents to ±clip_sample_range (DDIM's own default is true).",
      },
      {
        name: "set_alpha_to_one",
        type: "STRING",
        widget: { kind: "ENUM", default: PACK, options: BOOLEAN_CHOICES },
        description: "DDIM/PNDM: the final step's ᾱ is 1 (true) or ᾱ₀ (false).",
      },
      {
        name: "prediction_type",
        type: "STRING",
        widget: { kind: "ENUM", default: PACK, options: PREDICTION_CHOICES },
        description: "What the UNet predicts; keep the pack's unless the weights say otherwise.",
      },
      {
        name: "eta",
        type: "FLOAT",
        widget: { kind: "FLOAT", default: 0, min: 0, max: 1, step: 0.05 },
        description:
          "DDIM η: 0 is deterministic, 1 adds DDPM-like noise from the Sampler's seed. Other schedulers ignore it.",
      },
      {
        name: "extra",
        type: "STRING",
        widget: { kind: "STRING", default: "", multiline: true, placeholder: '{"beta_end": 0.012}' },
        description: "More diffusers scheduler_config keys as a JSON object; the fields above win over it.",
      },
    ],
    outputs: [{ name: "scheduler", type: "SCHEDULER" }],
    isOutput: false,
  },
  validate(values) {
    const settings = settingsFrom(values);
    if ("problem" in settings) return [settings.problem];
    const problem = checkSettings(settings);
    return problem ? [problem] : [];
  },
  async run(inputs) {
    // Read through the checked helpers first so a wrongly typed value names its input.
    stringInput(inputs, "scheduler");
    intInput(inputs, "steps_offset", -1);
    const eta = numberInput(inputs, "eta");
    if (eta < 0) throw inputError("eta", `eta ${eta} must be at least 0.`, "≥ 0", String(eta));
    const settings = settingsFrom(inputs);
    if ("problem" in settings) throw inputError(settings.input, settings.problem);
    const problem = checkSettings(settings);
    if (problem) throw inputError("extra", problem);
    return { scheduler: settings };
  },
};

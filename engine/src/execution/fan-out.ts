import type { InputSpec, OutputSpec } from "../graph/node-schema.ts";
import type { NodeInputs, NodeOutputs, UiResult } from "../nodes/definition.ts";

/**
 * List fan-out, as ComfyUI's map over list inputs: an input that receives a list but does
 * not accept one makes its node run once per item, zipping several such lists (a shorter
 * list repeats its last item), and every output of that node becomes a list.
 */

/** An input value as the executor holds it, with whether it is a list flowing through the graph. */
export interface HeldInput {
  value: unknown;
  isList: boolean;
}

/** One run's inputs, per item of the fan-out; a single entry when nothing fans out. */
export function fanOutInputs(
  specs: readonly InputSpec[],
  held: Readonly<Record<string, HeldInput>>,
): { runs: NodeInputs[]; fansOut: boolean } {
  const mapped = specs.filter((spec) => !spec.acceptsList && held[spec.name]?.isList);
  const whole: NodeInputs = {};
  for (const spec of specs) {
    const input = held[spec.name];
    if (!input || input.value === undefined) whole[spec.name] = undefined;
    else if (spec.acceptsList) whole[spec.name] = input.isList ? input.value : [input.value];
    else whole[spec.name] = input.value;
  }
  if (mapped.length === 0) return { runs: [whole], fansOut: false };
  const lists = mapped.map((spec) => held[spec.name].value as readonly unknown[]);
  const count = lists.some((list) => list.length === 0) ? 0 : Math.max(...lists.map((list) => list.length));
  const runs: NodeInputs[] = [];
  for (let index = 0; index < count; index++) {
    const inputs = { ...whole };
    mapped.forEach((spec, position) => {
      const list = lists[position];
      inputs[spec.name] = list[Math.min(index, list.length - 1)];
    });
    runs.push(inputs);
  }
  return { runs, fansOut: true };
}

/**
 * Joins the outputs of a fanned-out node's runs: a list output's lists are concatenated,
 * any other output's values collected into a list.
 */
export function joinFanOutOutputs(specs: readonly OutputSpec[], results: readonly NodeOutputs[]): NodeOutputs {
  const joined: NodeOutputs = {};
  for (const spec of specs) {
    joined[spec.name] = spec.list
      ? results.flatMap((result) => result[spec.name] as unknown[])
      : results.map((result) => result[spec.name]);
  }
  return joined;
}

/** Appends one UI result to another (images and text lists concatenated). */
export function mergeUi(into: UiResult | undefined, more: UiResult): UiResult {
  if (!into) return { ...(more.images && { images: [...more.images] }), ...(more.text && { text: [...more.text] }) };
  return {
    ...((into.images || more.images) && { images: [...(into.images ?? []), ...(more.images ?? [])] }),
    ...((into.text || more.text) && { text: [...(into.text ?? []), ...(more.text ?? [])] }),
  };
}

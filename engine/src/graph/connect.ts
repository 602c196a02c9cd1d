import type { NodeSchema, SocketType } from "./node-schema.ts";

/**
 * Connection rules, one place for the editor's drag-connect and the server's validator.
 * Pure: no Node or DOM imports.
 */

/** Whether something is allowed, and if not, a reason a person can read (chaiNNer's `Validity`). */
export type Validity = { ok: true } | { ok: false; reason: string };

/** The valid result, shared. */
export const VALID: Validity = Object.freeze({ ok: true });

/** Builds an invalid result. */
export function invalid(reason: string): Validity {
  return { ok: false, reason };
}

/** True when a value of socket type `output` may flow into socket type `input`; `*` matches anything. */
export function socketTypesMatch(output: SocketType, input: SocketType): boolean {
  return output === input || output === "*" || input === "*";
}

/**
 * Whether `source.outputName` may be linked to `target.inputName`. An input with a widget
 * accepts a link of its own type (the link then replaces the typed-in value).
 *
 * @example canConnect(vaeDecode, "image", saveImage, "images") // { ok: true }
 * @example canConnect(sampler, "latent", saveImage, "images")
 *   // { ok: false, reason: "LATENT output 'latent' cannot feed IMAGE input 'images'" }
 */
export function canConnect(source: NodeSchema, outputName: string, target: NodeSchema, inputName: string): Validity {
  const output = source.outputs.find((candidate) => candidate.name === outputName);
  if (!output) return invalid(`${source.title} has no output '${outputName}'`);
  const input = target.inputs.find((candidate) => candidate.name === inputName);
  if (!input) return invalid(`${target.title} has no input '${inputName}'`);
  if (!socketTypesMatch(output.type, input.type)) {
    return invalid(`${output.type} output '${output.name}' cannot feed ${input.type} input '${input.name}'`);
  }
  return VALID;
}

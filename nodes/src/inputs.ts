import { InfixError } from "@infix/engine";
import type { NodeInputs } from "@infix/engine";

/**
 * Reading a node's inputs with a clear error when a value is missing or of the wrong kind.
 * The executor fills in the node id (`toProblem`), so messages here name the input only.
 */

/** An InfixError for a bad input: says which input, what was expected and what came. */
export function inputError(input: string, message: string, expected?: string, found?: string): InfixError {
  return new InfixError({ code: "invalid_input", message, input, expected, found });
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "object" && typeof (value as { type?: unknown }).type === "string") return (value as { type: string }).type;
  return typeof value;
}

/** A tagged socket value (`{ type: "SUBJECT", ... }`), or an InfixError naming the input. */
export function taggedInput<T extends { type: string }>(inputs: NodeInputs, name: string, type: T["type"]): T {
  const value = inputs[name];
  if (typeof value !== "object" || value === null || (value as { type?: unknown }).type !== type) {
    throw inputError(name, `Input "${name}" needs a ${type}; connect a node that outputs ${type}.`, type, describe(value));
  }
  return value as T;
}

/** Like taggedInput, but undefined when the optional input is unset. */
export function optionalTaggedInput<T extends { type: string }>(inputs: NodeInputs, name: string, type: T["type"]): T | undefined {
  return inputs[name] === undefined || inputs[name] === null ? undefined : taggedInput<T>(inputs, name, type);
}

/** A list of tagged values (an `acceptsList` input); a single value counts as a list of one. */
export function taggedListInput<T extends { type: string }>(inputs: NodeInputs, name: string, type: T["type"]): T[] {
  const value = inputs[name];
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw inputError(name, `Input "${name}" got an empty list; it needs at least one ${type}.`, type, "empty list");
  return items.map((_, i) => taggedInput<T>({ [name]: items[i] }, name, type));
}

export function numberInput(inputs: NodeInputs, name: string): number {
  const value = inputs[name];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw inputError(name, `Input "${name}" must be a finite number.`, "number", describe(value));
  }
  return value;
}

export function intInput(inputs: NodeInputs, name: string, min = -Infinity): number {
  const value = numberInput(inputs, name);
  if (!Number.isInteger(value) || value < min) {
    throw inputError(name, `Input "${name}" must be an integer${min > -Infinity ? ` of at least ${min}` : ""}.`, `integer >= ${min}`, String(value));
  }
  return value;
}

export function stringInput(inputs: NodeInputs, name: string, options: { nonEmpty?: boolean } = {}): string {
  const value = inputs[name];
  if (typeof value !== "string") throw inputError(name, `Input "${name}" must be text.`, "string", describe(value));
  if (options.nonEmpty && value.trim() === "") {
    throw inputError(name, `Input "${name}" is empty; type some text.`, "non-empty text", "empty text");
  }
  return value;
}

export function booleanInput(inputs: NodeInputs, name: string): boolean {
  const value = inputs[name];
  if (typeof value !== "boolean") throw inputError(name, `Input "${name}" must be true or false.`, "boolean", describe(value));
  return value;
}

import { InfixError, type NodeInputs } from "@infix/engine";

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
  if (typeof value === "object" && typeof (value as { type?: unknown }).type === "string")
    return (value as { type: string }).type;
  return typeof value;
}

/** A tagged socket value (`{ type: "SUBJECT", ... }`), or an InfixError naming the input. */
export function taggedInput<T extends { type: string }>(inputs: NodeInputs, name: string, type: T["type"]): T {
  const value = inputs[name];
  if (typeof value !== "object" || value === null || (value as { type?: unknown }).type !== type) {
    throw inputError(
      name,
      `Input "${name}" needs a ${type}; connect a node that outputs ${type}.`,
      type,
      describe(value),
    );
  }
  return value as T;
}

/** Like taggedInput, but undefined when the optional input is unset. */
export function optionalTaggedInput<T extends { type: string }>(
  inputs: NodeInputs,
  name: string,
  type: T["type"],
): T | undefined {
  return inputs[name] === undefined || inputs[name] === null ? undefined : taggedInput<T>(inputs, name, type);
}

/** A list of tagged values (an `acceptsList` input); a single value counts as a list of one. */
export function taggedListInput<T extends { type: string }>(inputs: NodeInputs, name: string, type: T["type"]): T[] {
  const value = inputs[name];
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0)
    throw inputError(name, `Input "${name}" got an empty list; it needs at least one ${type}.`, type, "empty list");
  return items.map((_, i) => taggedInput<T>({ [name]: items[i] }, name, type));
}

/** A finite number input (FLOAT or INT widget, or a linked number), or an InfixError naming the input. */
export function numberInput(inputs: NodeInputs, name: string): number {
  const value = inputs[name];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw inputError(name, `Input "${name}" must be a finite number.`, "number", describe(value));
  }
  return value;
}

/**
 * A whole-number input of at least `min`, or an InfixError naming the input.
 * @example intInput({ steps: 25 }, "steps", 1) // 25
 */
export function intInput(inputs: NodeInputs, name: string, min = -Infinity): number {
  const value = numberInput(inputs, name);
  if (!Number.isInteger(value) || value < min) {
    const bound = min > -Infinity ? ` of at least ${min}` : "";
    throw inputError(name, `Input "${name}" must be an integer${bound}.`, `an integer${bound}`, String(value));
  }
  return value;
}

/** A text input (`nonEmpty`: refuses blank text), or an InfixError naming the input. */
export function stringInput(inputs: NodeInputs, name: string, options: { nonEmpty?: boolean } = {}): string {
  const value = inputs[name];
  if (typeof value !== "string") throw inputError(name, `Input "${name}" must be text.`, "string", describe(value));
  if (options.nonEmpty && value.trim() === "") {
    throw inputError(name, `Input "${name}" is empty; type some text.`, "non-empty text", "empty text");
  }
  return value;
}

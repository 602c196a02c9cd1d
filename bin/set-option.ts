import { resolve } from "node:path";
import type { InputSpec, Literal, NodeSchema, Problem, Workflow } from "@infix/graph";
import { describeNode, didYouMean } from "@infix/graph";

/** One `--set node.input=value` as typed on the command line. */
export interface SetOverride {
  nodeId: string;
  input: string;
  value: string;
}

/**
 * Splits `node.input=value` (the node id may itself contain dots; input names never do).
 * @example parseSetOption("sampler.seed=42") // { nodeId: "sampler", input: "seed", value: "42" }
 */
export function parseSetOption(text: string): SetOverride | Problem {
  const equals = text.indexOf("=");
  const target = equals < 0 ? text : text.slice(0, equals);
  const dot = target.lastIndexOf(".");
  if (equals < 0 || dot <= 0 || dot === target.length - 1) {
    return {
      code: "invalid_option",
      message: `--set ${text}: expected node.input=value, e.g. --set sampler.seed=42 or --set reference.image=./dog.png`,
      found: text,
    };
  }
  return { nodeId: target.slice(0, dot), input: target.slice(dot + 1), value: text.slice(equals + 1) };
}

/**
 * Applies `--set` overrides to a copy of `workflow`, typing each value by the node's schema
 * (INT, FLOAT, SEED, BOOLEAN, text, an option of an ENUM; a FILE path is resolved against
 * `cwd`, since paths typed on the command line are the user's own). Range and option checks
 * are left to the validator, which names the node and input the same way as for a saved value.
 */
export function applySetOverrides(
  workflow: Workflow,
  overrides: readonly SetOverride[],
  schemaOf: (type: string) => NodeSchema | undefined,
  cwd = process.cwd(),
): { ok: true; workflow: Workflow } | { ok: false; problems: Problem[] } {
  const next = structuredClone(workflow);
  const problems: Problem[] = [];
  for (const { nodeId, input, value } of overrides) {
    const node = next.nodes[nodeId];
    if (!node) {
      const ids = Object.keys(next.nodes);
      problems.push({
        code: "unknown_node",
        message: `--set ${nodeId}.${input}: the workflow has no node '${nodeId}'.${didYouMean(nodeId, ids)} Its nodes: ${ids.join(", ")}.`,
        found: nodeId,
      });
      continue;
    }
    const schema = schemaOf(node.type);
    if (!schema) continue; // the validator reports the unknown type
    const spec = schema.inputs.find((candidate) => candidate.name === input);
    const who = describeNode(nodeId, node, schema);
    if (!spec) {
      const names = schema.inputs.map((candidate) => candidate.name);
      problems.push({
        code: "unknown_input",
        message: `--set ${nodeId}.${input}: ${who} has no input '${input}'.${didYouMean(input, names)} Its inputs: ${names.join(", ")}.`,
        found: input,
      });
      continue;
    }
    const typed = typeValue(spec, value, cwd);
    if ("problem" in typed) {
      // No nodeId/input: the message names them already, in the words of the command line.
      problems.push({
        ...typed.problem,
        code: "invalid_option",
        message: `--set ${nodeId}.${input}: ${who} ${typed.problem.message}`,
      });
      continue;
    }
    node.inputs[input] = typed.literal;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, workflow: next };
}

function typeValue(spec: InputSpec, text: string, cwd: string): { literal: Literal } | { problem: Problem } {
  const widget = spec.widget;
  if (!widget) {
    return {
      problem: {
        code: "not_a_value_input",
        message: `takes its '${spec.name}' (${spec.type}) from a link, not a typed value.`,
        expected: `a link from a ${spec.type} output`,
        found: text,
      },
    };
  }
  switch (widget.kind) {
    case "INT":
    case "SEED":
    case "FLOAT": {
      const number = text.trim() === "" ? Number.NaN : Number(text);
      const whole = widget.kind !== "FLOAT";
      if (!Number.isFinite(number) || (whole && !Number.isInteger(number))) {
        const expected = whole ? "a whole number" : "a number";
        return {
          problem: {
            code: "wrong_value_type",
            message: `expects ${expected} for '${spec.name}', not "${text}".`,
            expected,
            found: text,
          },
        };
      }
      return { literal: number };
    }
    case "BOOLEAN":
      if (/^(true|yes|1)$/i.test(text)) return { literal: true };
      if (/^(false|no|0)$/i.test(text)) return { literal: false };
      return {
        problem: {
          code: "wrong_value_type",
          message: `expects true or false for '${spec.name}', not "${text}".`,
          expected: "true or false",
          found: text,
        },
      };
    case "FILE":
      return { literal: text.trim() === "" ? text : resolve(cwd, text) };
    case "STRING":
    case "ENUM":
      return { literal: text };
  }
}

import type { NodeSchema } from "./node-schema.ts";
import type { WorkflowNode } from "./workflow.ts";

/**
 * The stable codes of problems the graph core reports. The editor keys its markers on
 * them and tests assert them; never rename one, only add.
 */
export const PROBLEM_CODES = [
  // Loading a document.
  "not_a_workflow",
  "unsupported_version",
  "invalid_workflow",
  // Graph shape.
  "unknown_node_type",
  "missing_input",
  "unknown_input",
  "link_to_missing_node",
  "link_to_missing_output",
  "link_to_muted_node",
  "bypass_unmatched",
  "type_mismatch",
  "cycle",
  "unknown_target",
  "inactive_target",
  "no_outputs",
  // Literal values.
  "wrong_value_type",
  "out_of_range",
  "not_an_option",
  "empty_string",
  "invalid_value",
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** How messages name a node: its title (or type) and id, e.g. `"Sampler" (#5)`. */
export function describeNode(nodeId: string, node: WorkflowNode | undefined, schema?: NodeSchema): string {
  const title = node?.title ?? schema?.title ?? node?.type ?? "node";
  return `"${title}" (#${nodeId})`;
}

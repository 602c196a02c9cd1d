import type { Problem, Workflow } from "@infix/engine";

const VALUE_CODES = new Set(["out_of_range", "wrong_value_type", "not_an_option", "empty_string", "type_mismatch"]);

/**
 * One readable line per Problem for terminals, e.g.
 * `node 3 (Sampler) input 'steps': expected INT in [1,1000], found 0`.
 * Names the node by id and by its title (or type) so the user can find it in the editor.
 */
export function formatProblem(problem: Problem, workflow?: Workflow): string {
  const parts: string[] = [];
  if (problem.nodeId !== undefined) {
    const node = workflow?.nodes[problem.nodeId];
    const name = node?.title ?? node?.type;
    parts.push(name ? `node ${problem.nodeId} (${name})` : `node ${problem.nodeId}`);
  }
  if (problem.input !== undefined) parts.push(`input '${problem.input}'`);
  const where = parts.join(" ");
  // Value and type problems read best as "expected X, found Y"; for the rest (a link to a
  // missing output, a cycle, a node's own failure) the sentence says more.
  const what =
    problem.expected !== undefined && problem.found !== undefined && VALUE_CODES.has(problem.code)
      ? `expected ${problem.expected}, found ${problem.found}`
      : problem.message;
  return where ? `${where}: ${what}` : what;
}

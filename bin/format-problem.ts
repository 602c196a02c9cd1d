import type { Problem, Workflow } from "@infix/engine";

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
  let what: string;
  if (problem.expected !== undefined) {
    what = `expected ${problem.expected}${problem.found !== undefined ? `, found ${problem.found}` : ""}`;
  } else {
    what = problem.message;
  }
  return where ? `${where}: ${what}` : what;
}

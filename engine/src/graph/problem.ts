import { z } from "zod";

/**
 * A problem found in a workflow or raised while running it. Every problem a user can
 * see names where it is (node, input) and what was expected, so the editor can mark the
 * offending socket and the CLI can print one readable line.
 */
export const ProblemSchema = z.object({
  /** Stable machine-readable code, e.g. `unknown_node_type`, `missing_input`, `type_mismatch`. */
  code: z.string(),
  /** One sentence for a person: what is wrong and what to do next. */
  message: z.string(),
  nodeId: z.string().optional(),
  input: z.string().optional(),
  expected: z.string().optional(),
  found: z.string().optional(),
  /** What the user most likely meant instead of `found` (e.g. the known node type closest to an unknown one), for "did you mean …?". */
  suggestion: z.string().optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

/** An Error that carries a Problem; thrown by nodes and the engine, serialised as the Problem. */
export class InfixError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.message);
    this.name = "InfixError";
    this.problem = problem;
  }
}

/**
 * Turns anything thrown into a Problem, keeping structure when there is one. Messages of
 * foreign errors (file system, onnxruntime) lose their absolute paths: a user sees file
 * names, never the server's folder layout.
 */
export function toProblem(error: unknown, nodeId?: string): Problem {
  if (error instanceof InfixError) return { ...error.problem, nodeId: error.problem.nodeId ?? nodeId };
  const message = error instanceof Error ? error.message : String(error);
  return { code: "node_error", message: withoutAbsolutePaths(message), nodeId };
}

/**
 * Replaces absolute paths in a message by their last part (`open '/srv/data/input/cat.png'`
 * → `open 'cat.png'`). URLs are left alone: a path must start the text or follow a space,
 * quote, bracket or `=`.
 *
 * @example withoutAbsolutePaths("ENOENT: no such file, open '/a/b/c.png'") // → "ENOENT: no such file, open 'c.png'"
 */
export function withoutAbsolutePaths(message: string): string {
  return message.replace(/(^|[\s'"`(=[])(\/[^\s'"`/:,;()[\]]+)+\/?/g, (whole, lead: string) => {
    const parts = whole.slice(lead.length).split("/");
    return lead + (parts.filter((part) => part !== "").at(-1) ?? "");
  });
}

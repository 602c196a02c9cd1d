import { parseWorkflow, type Problem, type Workflow } from "@infix/graph";

/**
 * Reads a workflow document from untrusted text (a file, the clipboard, localStorage) with
 * the graph core's `parseWorkflow` (format check + migrations).
 */
export type LoadResult = { ok: true; workflow: Workflow } | { ok: false; problems: Problem[] };

export function loadWorkflowJson(json: unknown): LoadResult {
  const result = parseWorkflow(json);
  return result.ok ? { ok: true, workflow: result.workflow } : result;
}

/** Parses text as JSON, then as a workflow. */
export function loadWorkflowText(text: string): LoadResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      problems: [
        { code: "invalid_json", message: `Not JSON: ${error instanceof Error ? error.message : String(error)}` },
      ],
    };
  }
  return loadWorkflowJson(json);
}

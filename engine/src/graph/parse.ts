import type { z } from "zod";
import { MIGRATIONS } from "./migrations/index.ts";
import type { Problem } from "./problem.ts";
import { WORKFLOW_FORMAT, WORKFLOW_VERSION, WorkflowSchema, type Workflow } from "./workflow.ts";

/**
 * Loading saved workflows: format check, migration of older versions in order, and the
 * current schema. Pure: no Node or DOM imports.
 */

export type ParseResult = { ok: true; workflow: Workflow; migratedFrom?: number } | { ok: false; problems: Problem[] };

/**
 * Reads a workflow document of any supported version (already JSON-parsed).
 *
 * @example
 * const result = parseWorkflow(JSON.parse(text));
 * if (!result.ok) showProblems(result.problems);
 */
export function parseWorkflow(json: unknown): ParseResult {
  if (typeof json !== "object" || json === null || (json as { format?: unknown }).format !== WORKFLOW_FORMAT) {
    return fail({
      code: "not_a_workflow",
      message: `This is not an Infix workflow (expected "format": "${WORKFLOW_FORMAT}"); open a workflow file or a PNG saved by Infix.`,
      expected: WORKFLOW_FORMAT,
      found: typeof json === "object" && json !== null ? String((json as { format?: unknown }).format) : typeof json,
    });
  }
  const version = (json as { version?: unknown }).version;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 0) {
    return fail({
      code: "invalid_workflow",
      message: 'The workflow has no valid integer "version".',
      input: "version",
      found: String(version),
    });
  }
  if (version > WORKFLOW_VERSION) {
    return fail({
      code: "unsupported_version",
      message: `The workflow is version ${version}, saved by a newer Infix; this one reads up to version ${WORKFLOW_VERSION}. Update Infix.`,
      expected: `<= ${WORKFLOW_VERSION}`,
      found: String(version),
    });
  }
  let document: unknown = json;
  for (let step = version; step < WORKFLOW_VERSION; step++) {
    const migration = MIGRATIONS[step];
    const parsed = migration.schema.safeParse(document);
    if (!parsed.success) return { ok: false, problems: issuesToProblems(parsed.error.issues, step) };
    document = migration.migrate(parsed.data as never);
  }
  const parsed = WorkflowSchema.safeParse(document);
  if (!parsed.success) return { ok: false, problems: issuesToProblems(parsed.error.issues, WORKFLOW_VERSION) };
  return version < WORKFLOW_VERSION
    ? { ok: true, workflow: parsed.data, migratedFrom: version }
    : { ok: true, workflow: parsed.data };
}

/** The text to save: plain JSON, two-space indented; `parseWorkflow(JSON.parse(text))` gives the workflow back. */
export function serializeWorkflow(workflow: Workflow): string {
  return JSON.stringify(workflow, null, 2);
}

function fail(problem: Problem): ParseResult {
  return { ok: false, problems: [problem] };
}

function issuesToProblems(issues: readonly z.core.$ZodIssue[], version: number): Problem[] {
  return issues.map((issue) => {
    const path = issue.path.map(String);
    const inNode = path[0] === "nodes" && path.length > 1 && version >= 1;
    return {
      code: "invalid_workflow",
      message: `${path.join(".") || "(document)"}: ${issue.message} (workflow version ${version}).`,
      ...(inNode && { nodeId: path[1] }),
      ...(inNode && path[2] === "inputs" && path[3] !== undefined && { input: path[3] }),
    };
  });
}

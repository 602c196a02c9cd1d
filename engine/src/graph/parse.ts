import { z } from "zod";
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
  const migrated = migrateDocument(json, version);
  if ("issues" in migrated) return { ok: false, problems: issuesToProblems(migrated.issues, migrated.step) };
  const parsed = WorkflowSchema.safeParse(migrated.document);
  if (!parsed.success) return { ok: false, problems: issuesToProblems(parsed.error.issues, WORKFLOW_VERSION) };
  return version < WORKFLOW_VERSION
    ? { ok: true, workflow: parsed.data, migratedFrom: version }
    : { ok: true, workflow: parsed.data };
}

/**
 * Steps a document of an older version up to the current one, each step validating against its
 * version's frozen schema first; the issues of the step that refused it otherwise.
 */
function migrateDocument(
  json: unknown,
  version: number,
): { document: unknown } | { issues: readonly z.core.$ZodIssue[]; step: number } {
  let document = json;
  for (let step = version; step < WORKFLOW_VERSION; step++) {
    const migration = MIGRATIONS[step];
    const parsed = migration.schema.safeParse(document);
    if (!parsed.success) return { issues: parsed.error.issues, step };
    document = migration.migrate(parsed.data as never);
  }
  return { document };
}

/**
 * The current workflow schema, taking older versions too (migrated first): for what may predate
 * this version — saved workflows, workflows embedded in PNGs, the job journal, API bodies. An
 * old document its own version's schema refuses fails with that schema's issues, naming the version.
 *
 * @example const workflow = AnyVersionWorkflowSchema.parse(JSON.parse(text)); // a v1 file gives a current Workflow
 */
export const AnyVersionWorkflowSchema = z.preprocess((value, ctx) => {
  const version = typeof value === "object" && value !== null ? (value as { version?: unknown }).version : undefined;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 0 || version >= WORKFLOW_VERSION)
    return value; // the current version, or not a workflow: the current schema says what is wrong
  const migrated = migrateDocument(value, version);
  if ("document" in migrated) return migrated.document;
  for (const issue of migrated.issues)
    ctx.addIssue({ code: "custom", message: `${issue.message} (workflow version ${migrated.step})`, path: issue.path });
  return z.NEVER;
}, WorkflowSchema);

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

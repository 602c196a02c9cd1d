import { z } from "zod";
import { WORKFLOW_VERSION, WorkflowSchema } from "./workflow.ts";

/**
 * The published JSON Schema of the current workflow version, derived from the zod schema so
 * the two never drift. `tools/write-workflow-schema.ts` writes it to `engine/workflow.schema.json`.
 */
export function workflowJsonSchema(): Record<string, unknown> {
  // "input": what a file may contain; fields with defaults may be left out.
  const schema = z.toJSONSchema(WorkflowSchema, { io: "input" }) as Record<string, unknown>;
  return { ...schema, title: `Infix workflow, version ${WORKFLOW_VERSION}` };
}

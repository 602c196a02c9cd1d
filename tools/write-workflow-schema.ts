/**
 * Writes engine/workflow.schema.json from the zod schema. Run after changing the workflow
 * format: `npx tsx tools/write-workflow-schema.ts` (a test fails while the file is stale).
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { workflowJsonSchema } from "@infix/engine";

const target = fileURLToPath(new URL("../engine/workflow.schema.json", import.meta.url));
writeFileSync(target, JSON.stringify(workflowJsonSchema(), null, 2) + "\n");
console.log(`wrote ${target}`);

import type { z } from "zod";
import { WorkflowV0Schema, migrateV0ToV1 } from "./v0.ts";
import { WorkflowV1Schema, migrateV1ToV2 } from "./v1.ts";

/**
 * The migration chain: entry n holds version n's frozen schema and the step to version n+1.
 * `parseWorkflow` validates a document against its own version's schema, then steps it up in order.
 */
export interface MigrationStep {
  readonly from: number;
  readonly schema: z.ZodType;
  migrate(document: never): unknown;
}

export const MIGRATIONS: readonly MigrationStep[] = [
  { from: 0, schema: WorkflowV0Schema, migrate: migrateV0ToV1 },
  { from: 1, schema: WorkflowV1Schema, migrate: migrateV1ToV2 },
];

import { z } from "zod";
import { EditorDataSchema, WorkflowNodeSchema } from "../workflow.ts";

/**
 * Version 1: the first released format, frozen here so its files still load. It listed the
 * model packs a workflow used in `packs`; version 2 names resources of any kind a node package
 * offers in `requires` instead, so the engine carries no model vocabulary. Nodes and editor
 * layout are the same in both versions (should a later version change them, copy their version-1
 * shapes here first). Never edit this schema; add a new version instead.
 */
const V1PackRefSchema = z.object({
  name: z.string().min(1),
  /** Content hash of the manifest and graphs, `sha256:<hex>`; absent when unknown. */
  hash: z.string().optional(),
});

export const WorkflowV1Schema = z.object({
  format: z.literal("infix-workflow"),
  version: z.literal(1),
  name: z.string().optional(),
  description: z.string().optional(),
  nodes: z.record(z.string().min(1), WorkflowNodeSchema),
  packs: z.array(V1PackRefSchema).default([]),
  editor: EditorDataSchema.optional(),
});
export type WorkflowV1 = z.infer<typeof WorkflowV1Schema>;

/**
 * The requirement kind version 1's `packs` were: the BLIP-Diffusion package's model packs (the
 * only kind there was). A saved name; the node package declares the same kind.
 */
export const V1_PACK_KIND = "model-pack";

/** v1 → v2: each `packs` entry becomes a `requires` entry of kind `model-pack`; nothing else changes. */
export function migrateV1ToV2(document: WorkflowV1): unknown {
  const { packs, ...rest } = document;
  return {
    ...rest,
    version: 2,
    requires: packs.map((pack) => ({
      kind: V1_PACK_KIND,
      id: pack.name,
      ...(pack.hash !== undefined && { hash: pack.hash }),
    })),
  };
}

import { z } from "zod";

/**
 * Version 0: the draft format of the first prototype, frozen here so old files still load.
 * Nodes were a list with inline positions, links were `[nodeId, outputName]` tuples and muting
 * was a boolean. Never edit this schema; add a new version instead.
 */
const V0LinkSchema = z.tuple([z.string().min(1), z.string().min(1)]);
const V0NodeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  title: z.string().optional(),
  inputs: z.record(z.string(), z.union([V0LinkSchema, z.string(), z.number(), z.boolean(), z.null()])).default({}),
  muted: z.boolean().optional(),
  /** [x, y] on the canvas. */
  pos: z.tuple([z.number(), z.number()]).optional(),
});

export const WorkflowV0Schema = z.object({
  format: z.literal("infix-workflow"),
  version: z.literal(0),
  name: z.string().optional(),
  nodes: z.array(V0NodeSchema),
});
export type WorkflowV0 = z.infer<typeof WorkflowV0Schema>;

/** v0 → v1: nodes become a record by id, tuples become `{ node, output }`, positions move to `editor`. */
export function migrateV0ToV1(document: WorkflowV0): unknown {
  const nodes: Record<string, unknown> = {};
  const layout: Record<string, unknown> = {};
  for (const node of document.nodes) {
    const inputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node.inputs)) {
      inputs[name] = Array.isArray(value) ? { node: value[0], output: value[1] } : value;
    }
    nodes[node.id] = {
      type: node.type,
      mode: node.muted ? "muted" : "active",
      inputs,
      ...(node.title !== undefined && { title: node.title }),
    };
    if (node.pos) layout[node.id] = { position: { x: node.pos[0], y: node.pos[1] } };
  }
  return {
    format: "infix-workflow",
    version: 1,
    ...(document.name !== undefined && { name: document.name }),
    nodes,
    packs: [],
    editor: { nodes: layout, groups: [], notes: [] },
  };
}

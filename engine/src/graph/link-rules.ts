import { canConnect, invalid, VALID, type Validity } from "./connect.ts";
import type { SchemaLookup } from "./plan.ts";
import { isLink, type Workflow } from "./workflow.ts";

/**
 * Whether a new link may be drawn in a workflow: the socket rules of `canConnect`, plus the
 * graph rules (no link to itself, no cycle). The editor calls it on every drag-connect
 * hover, so it walks only the source's ancestors. Pure: no Node or DOM imports.
 *
 * @example canLink(workflow, lookup, "vae", "image", "save", "images") // { ok: true }
 */
export function canLink(
  workflow: Workflow,
  lookup: SchemaLookup,
  sourceId: string,
  outputName: string,
  targetId: string,
  inputName: string,
): Validity {
  const source = workflow.nodes[sourceId];
  const target = workflow.nodes[targetId];
  if (!source || !target) return invalid(`node #${source ? targetId : sourceId} does not exist`);
  if (sourceId === targetId) return invalid("a node cannot feed itself");
  const sourceSchema = lookup(source.type);
  const targetSchema = lookup(target.type);
  if (!sourceSchema) return invalid(`node type '${source.type}' is unknown`);
  if (!targetSchema) return invalid(`node type '${target.type}' is unknown`);
  const sockets = canConnect(sourceSchema, outputName, targetSchema, inputName);
  if (!sockets.ok) return sockets;
  if (dependsOn(workflow, sourceId, targetId))
    return invalid(`this link would make a cycle: #${sourceId} already depends on #${targetId}`);
  return VALID;
}

/** True when `nodeId` reads, directly or through other nodes, from `ancestorId`. */
export function dependsOn(workflow: Workflow, nodeId: string, ancestorId: string): boolean {
  const seen = new Set<string>([nodeId]);
  const pending = [nodeId];
  while (pending.length > 0) {
    const node = workflow.nodes[pending.pop() as string];
    if (!node) continue;
    for (const value of Object.values(node.inputs)) {
      if (!isLink(value)) continue;
      if (value.node === ancestorId) return true;
      if (!seen.has(value.node)) {
        seen.add(value.node);
        pending.push(value.node);
      }
    }
  }
  return false;
}

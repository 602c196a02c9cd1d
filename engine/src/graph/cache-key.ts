import { hashValue, type Canonicalisable } from "./hash.ts";
import type { ExecutionPlan, PlannedNode } from "./plan.ts";

/**
 * Merkle cache keys, as ComfyUI's input signatures: a node's key hashes its type, version,
 * literal inputs (defaults filled in) and the keys of the nodes it reads, so a change
 * anywhere upstream changes every key below it. Editor data never enters. Pure.
 */

/**
 * The cache key of one node, given the keys of the nodes it reads from.
 *
 * @param extra what the node's `cacheKeyExtra` returned (e.g. a file's content hash)
 * @example nodeCacheKey(plan.nodes.get("4")!, (id) => keys.get(id)!) // "9f2c…" (16 hex digits)
 */
export function nodeCacheKey(planned: PlannedNode, upstreamKey: (nodeId: string) => string, extra?: string): string {
  const inputs: Record<string, Canonicalisable> = {};
  for (const [name, source] of Object.entries(planned.inputs)) {
    switch (source.kind) {
      case "value":
        inputs[name] = { value: source.value };
        break;
      case "link":
        inputs[name] = { from: upstreamKey(source.node), output: source.output };
        break;
      default:
        inputs[name] = null;
    }
  }
  return hashValue({
    type: planned.node.type,
    version: planned.schema?.version ?? 0,
    inputs,
    extra: extra ?? null,
  });
}

/** Keys of every ordered node in a plan; `extras` holds `cacheKeyExtra` results by node id. */
export function computeCacheKeys(
  plan: ExecutionPlan,
  extras: ReadonlyMap<string, string> = new Map(),
): Map<string, string> {
  const keys = new Map<string, string>();
  const upstream = (id: string): string => {
    const key = keys.get(id);
    if (key === undefined) throw new Error(`cache key of #${id} asked for before it was computed`);
    return key;
  };
  for (const id of plan.order) keys.set(id, nodeCacheKey(plan.nodes.get(id) as PlannedNode, upstream, extras.get(id)));
  return keys;
}

import { withRequirements, type Requirement, type Resources, type Workflow } from "@infix/engine";
import { MODEL_PACK_KIND } from "../pack/package-info.ts";
import { PACKS } from "../pack/registry.ts";
import { loadModelPackNode } from "./load-model-pack.ts";

/**
 * The model packs a workflow uses, with their content hashes, as the workflow's requirements
 * of kind `model-pack`: a saved picture then says which weights made it, and opening it where a pack is
 * missing (or differs) can say so. Packs that cannot be loaded are listed without a hash.
 */
export async function referencedPacks(workflow: Workflow, resources: Resources): Promise<Requirement[]> {
  const ids = new Set<string>();
  for (const node of Object.values(workflow.nodes)) {
    if (node.type !== loadModelPackNode.schema.type || node.mode === "muted") continue;
    const value = node.inputs.pack;
    if (typeof value === "string" && value !== "") ids.add(value);
  }
  const refs: Requirement[] = [];
  for (const id of [...ids].sort()) {
    try {
      const pack = resources.has(PACKS) ? await resources.get(PACKS).get(id) : undefined;
      refs.push(pack ? { kind: MODEL_PACK_KIND, id, hash: pack.hash } : { kind: MODEL_PACK_KIND, id });
    } catch {
      refs.push({ kind: MODEL_PACK_KIND, id });
    }
  }
  return refs;
}

/** The workflow with its model-pack requirements brought up to date (other kinds and fields untouched). */
export async function withPackReferences(workflow: Workflow, resources: Resources): Promise<Workflow> {
  return withRequirements(workflow, MODEL_PACK_KIND, await referencedPacks(workflow, resources));
}

import type { PackRef, Resources, Workflow } from "@infix/engine";
import { PACKS } from "../pack/registry.ts";
import { loadModelPackNode } from "./load-model-pack.ts";

/**
 * The model packs a workflow uses, with their content hashes, for the workflow's `packs`
 * list: a saved picture then says which weights made it, and opening it where a pack is
 * missing (or differs) can say so. Packs that cannot be loaded are listed without a hash.
 */
export async function referencedPacks(workflow: Workflow, resources: Resources): Promise<PackRef[]> {
  const ids = new Set<string>();
  for (const node of Object.values(workflow.nodes)) {
    if (node.type !== loadModelPackNode.schema.type || node.mode === "muted") continue;
    const value = node.inputs.pack;
    if (typeof value === "string" && value !== "") ids.add(value);
  }
  const refs: PackRef[] = [];
  for (const id of [...ids].sort()) {
    try {
      const pack = resources.has(PACKS) ? await resources.get(PACKS).get(id) : undefined;
      refs.push(pack ? { name: id, hash: pack.hash } : { name: id });
    } catch {
      refs.push({ name: id });
    }
  }
  return refs;
}

/** The workflow with its `packs` list brought up to date (other fields untouched). */
export async function withPackReferences(workflow: Workflow, resources: Resources): Promise<Workflow> {
  return { ...workflow, packs: await referencedPacks(workflow, resources) };
}

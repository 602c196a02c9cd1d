import { emptyWorkflow, isLink, type InputValue, type Workflow } from "@infix/graph";
import { ensureEditor, nextNodeId, type Point } from "./operations.ts";

/**
 * Copy and paste as workflow JSON: a copied selection is itself a Workflow v1 document, so
 * it pastes into another tab, another browser window, or loads as a file.
 */

/** The selected nodes as a workflow: links between them kept, links from outside dropped. */
export function extractFragment(workflow: Workflow, ids: Iterable<string>): Workflow {
  const chosen = new Set([...ids].filter((id) => workflow.nodes[id]));
  const fragment = emptyWorkflow();
  const editor = ensureEditor(fragment);
  const sourceLayout = workflow.editor?.nodes ?? {};
  for (const id of chosen) {
    const node = workflow.nodes[id];
    const inputs: Record<string, InputValue> = {};
    for (const [name, value] of Object.entries(node.inputs)) {
      if (!isLink(value) || chosen.has(value.node)) inputs[name] = structuredClone(value);
    }
    fragment.nodes[id] = { ...structuredClone(node), inputs };
    const layout = sourceLayout[id];
    if (layout) editor.nodes[id] = structuredClone(layout);
  }
  return fragment;
}

/** Top-left corner of the fragment's node positions (0,0 for an empty one). */
function topLeft(fragment: Workflow): Point {
  const positions = Object.keys(fragment.nodes).map((id) => fragment.editor?.nodes[id]?.position ?? { x: 0, y: 0 });
  if (positions.length === 0) return { x: 0, y: 0 };
  return { x: Math.min(...positions.map((p) => p.x)), y: Math.min(...positions.map((p) => p.y)) };
}

/**
 * Adds a copy of `fragment` to `workflow` with fresh ids, its top-left corner at `at`,
 * links inside it rewired to the copies; returns the new ids (fragment order).
 */
export function pasteFragment(workflow: Workflow, fragment: Workflow, at: Point): string[] {
  const editor = ensureEditor(workflow);
  const renamed = new Map<string, string>();
  const taken = new Set<string>();
  for (const id of Object.keys(fragment.nodes)) {
    const fresh = nextNodeId(workflow, taken);
    taken.add(fresh);
    renamed.set(id, fresh);
  }
  const origin = topLeft(fragment);
  for (const [oldId, node] of Object.entries(fragment.nodes)) {
    const id = renamed.get(oldId)!;
    const inputs: Record<string, InputValue> = {};
    for (const [name, value] of Object.entries(node.inputs)) {
      if (!isLink(value)) inputs[name] = value;
      else if (renamed.has(value.node)) inputs[name] = { node: renamed.get(value.node)!, output: value.output };
    }
    workflow.nodes[id] = { ...structuredClone(node), inputs };
    const layout = fragment.editor?.nodes[oldId];
    const position = layout?.position ?? { x: 0, y: 0 };
    editor.nodes[id] = {
      ...structuredClone(layout ?? { position }),
      position: { x: at.x + position.x - origin.x, y: at.y + position.y - origin.y },
    };
  }
  return [...renamed.values()];
}

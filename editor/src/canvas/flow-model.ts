import { isLink, type Workflow, type WorkflowNode } from "@infix/graph";
import type { Edge, Node } from "@xyflow/react";
import type { CatalogIndex } from "../state/catalog.ts";
import { annotationNodeId } from "../state/annotations.ts";
import type { Size } from "../state/document-store.ts";
import type { GroupFlowNode, NoteFlowNode } from "./AnnotationNodes.tsx";

/**
 * The document → React Flow projection. Nodes and edges are derived, never stored: the
 * workflow is the single source of truth. Unchanged nodes keep their object identity
 * (immer shares untouched subtrees), so React Flow and the memoised node component skip them.
 */

type Layout = NonNullable<Workflow["editor"]>["nodes"][string];

export interface StudioNodeData extends Record<string, unknown> {
  node: WorkflowNode;
  layout: Layout | undefined;
  /** Unknown node types only: the outputs other nodes link to, so the fallback can draw their handles. */
  linkedOutputs?: readonly string[];
}

export type StudioFlowNode = Node<StudioNodeData, "studio" | "fallback">;

interface CachedNode {
  node: WorkflowNode;
  layout: Layout | undefined;
  selected: boolean;
  size: Size | undefined;
  known: boolean;
  outputsKey: string | undefined;
  flow: StudioFlowNode;
}

const ORIGIN = { x: 0, y: 0 };

/** Derives React Flow nodes, reusing the previous object for every node whose inputs, layout, selection and size are unchanged. */
export class FlowNodeCache {
  private cache = new Map<string, CachedNode>();

  nodes(
    workflow: Workflow,
    selection: ReadonlySet<string>,
    measured: Readonly<Record<string, Size>>,
    catalog: CatalogIndex | undefined,
  ): StudioFlowNode[] {
    const next = new Map<string, CachedNode>();
    const unknownOutputs = catalog ? linkedOutputsOfUnknown(workflow, catalog) : new Map<string, string>();
    const result: StudioFlowNode[] = [];
    for (const [id, node] of Object.entries(workflow.nodes)) {
      const layout = workflow.editor?.nodes[id];
      const selected = selection.has(id);
      const size = measured[id];
      const known = catalog ? catalog.schema(node.type) !== undefined : true;
      const outputsKey = unknownOutputs.get(id);
      const old = this.cache.get(id);
      let entry: CachedNode;
      if (
        old &&
        old.node === node &&
        old.layout === layout &&
        old.selected === selected &&
        old.size === size &&
        old.known === known &&
        old.outputsKey === outputsKey
      ) {
        entry = old;
      } else {
        const flow: StudioFlowNode = {
          id,
          type: known ? "studio" : "fallback",
          position: layout?.position ?? ORIGIN,
          data: outputsKey === undefined ? { node, layout } : { node, layout, linkedOutputs: outputsKey.split("\n") },
          selected,
          dragHandle: ".studio-node__header",
          ...(size ? { measured: size } : {}),
        };
        entry = { node, layout, selected, size, known, outputsKey, flow };
      }
      next.set(id, entry);
      result.push(entry.flow);
    }
    this.cache = next;
    return result;
  }
}

/** Everything on the canvas: workflow nodes, notes and groups. */
export type CanvasNode = StudioFlowNode | NoteFlowNode | GroupFlowNode;

/**
 * Groups and notes as canvas nodes, sized by their stored size. Groups come first in the
 * list so they are drawn under the workflow nodes they frame.
 */
export function deriveAnnotations(
  editor: Workflow["editor"],
  selected: ReadonlySet<string>,
): { groups: GroupFlowNode[]; notes: NoteFlowNode[] } {
  const groups = (editor?.groups ?? []).map((g): GroupFlowNode => {
    const id = annotationNodeId("group", g.id);
    return {
      id,
      type: "studioGroup",
      position: g.position,
      width: g.size.width,
      height: g.size.height,
      data: { annotationId: g.id, text: g.title },
      selected: selected.has(id),
      zIndex: -1,
    };
  });
  const notes = (editor?.notes ?? []).map((n): NoteFlowNode => {
    const id = annotationNodeId("note", n.id);
    const size = n.size ?? { width: 220, height: 120 };
    return {
      id,
      type: "studioNote",
      position: n.position,
      width: size.width,
      height: size.height,
      data: { annotationId: n.id, text: n.text },
      selected: selected.has(id),
      dragHandle: ".note-node__grip",
    };
  });
  return { groups, notes };
}

/** For each node of an unknown type that others link to: its linked output names, newline-joined (a cheap cache key). */
function linkedOutputsOfUnknown(workflow: Workflow, catalog: CatalogIndex): Map<string, string> {
  const outputs = new Map<string, Set<string>>();
  for (const node of Object.values(workflow.nodes)) {
    for (const value of Object.values(node.inputs)) {
      if (!isLink(value)) continue;
      const source = workflow.nodes[value.node];
      if (!source || catalog.schema(source.type)) continue;
      const set = outputs.get(value.node) ?? new Set<string>();
      set.add(value.output);
      outputs.set(value.node, set);
    }
  }
  return new Map([...outputs].map(([id, set]) => [id, [...set].sort().join("\n")]));
}

/** One edge per linked input; coloured by the source output's socket type. */
export function deriveEdges(workflow: Pick<Workflow, "nodes">, catalog: CatalogIndex | undefined): Edge[] {
  const edges: Edge[] = [];
  for (const [target, node] of Object.entries(workflow.nodes)) {
    for (const [input, value] of Object.entries(node.inputs)) {
      if (!isLink(value)) continue;
      const source = workflow.nodes[value.node];
      const type = source
        ? catalog?.schema(source.type)?.outputs.find((o) => o.name === value.output)?.type
        : undefined;
      const color = type && catalog ? catalog.color(type) : undefined;
      edges.push({
        id: edgeId(value.node, value.output, target, input),
        source: value.node,
        sourceHandle: value.output,
        target,
        targetHandle: input,
        ...(color ? { style: { stroke: color, strokeWidth: 2 } } : {}),
        data: { type },
      });
    }
  }
  return edges;
}

export function edgeId(source: string, output: string, target: string, input: string): string {
  return `${source}:${output}->${target}:${input}`;
}

import { canConnect, type NodeSchema, type Workflow } from "@infix/graph";
import type { Size } from "../state/document-store.ts";
import type { Point } from "../state/operations.ts";

/**
 * Where new nodes go, and which nodes a dragged link can end on. Pure: the canvas passes
 * the document, the measured sizes and the catalog.
 */

/** A node not measured yet is taken to be this big (a typical node at zoom 1). */
export const DEFAULT_NODE_SIZE: Size = { width: 240, height: 140 };
const GAP = 20;

interface Box extends Point, Size {}

function boxesOf(
  workflow: Workflow,
  measured: Readonly<Record<string, Size>>,
  estimate: (type: string) => Size | undefined,
): Box[] {
  return Object.entries(workflow.editor?.nodes ?? {}).map(([id, layout]) => {
    const type = workflow.nodes[id]?.type;
    return { ...layout.position, ...(measured[id] ?? (type && estimate(type)) ?? DEFAULT_NODE_SIZE) };
  });
}

function overlaps(a: Box, b: Box): boolean {
  return (
    a.x < b.x + b.width + GAP && b.x < a.x + a.width + GAP && a.y < b.y + b.height + GAP && b.y < a.y + a.height + GAP
  );
}

/**
 * The free place nearest to `wanted` for a node of `size`: `wanted` itself when nothing is
 * there, else the closest cell of a grid of node-sized steps around it (so a second node added
 * from the palette lands beside the first, not on it).
 *
 * @example freePlace({ x: 0, y: 0 }, workflowWithANodeAt00, {}) // { x: 0, y: 160 }
 */
export function freePlace(
  wanted: Point,
  workflow: Workflow,
  measured: Readonly<Record<string, Size>>,
  size: Size = DEFAULT_NODE_SIZE,
  /** The size of a node not measured yet (just added), by its type; DEFAULT_NODE_SIZE when unknown. */
  estimate: (type: string) => Size | undefined = () => undefined,
): Point {
  const boxes = boxesOf(workflow, measured, estimate);
  const stepX = size.width + GAP;
  const stepY = size.height + GAP;
  const candidates: Point[] = [];
  for (let ring = 0; ring <= 8; ring++) {
    for (let i = -ring; i <= ring; i++) {
      for (let j = -ring; j <= ring; j++) {
        if (Math.max(Math.abs(i), Math.abs(j)) !== ring) continue;
        candidates.push({ x: wanted.x + i * stepX, y: wanted.y + j * stepY });
      }
    }
    const free = candidates
      .filter((c) => !boxes.some((b) => overlaps({ ...c, ...size }, b)))
      .sort((a, b) => Math.hypot(a.x - wanted.x, a.y - wanted.y) - Math.hypot(b.x - wanted.x, b.y - wanted.y));
    if (free.length) return free[0];
    candidates.length = 0;
  }
  return wanted;
}

/**
 * A node's size before React Flow has measured it, from its schema: a header, one row per
 * socket, and more for widgets drawn taller (multi-line text, file pickers with a thumbnail).
 */
export function estimateNodeSize(schema: NodeSchema): Size {
  const tall = schema.inputs.filter(
    (i) => (i.widget?.kind === "STRING" && i.widget.multiline) || i.widget?.kind === "FILE",
  ).length;
  return { width: 280, height: 48 + 24 * (schema.inputs.length + schema.outputs.length) + 120 * tall };
}

/** The end of a link being dragged: an output (`source`) or an input (`target`) of a node. */
export interface LinkEnd {
  nodeId: string;
  handle: string;
  side: "source" | "target";
}

/** A node type a dropped link can connect to, and through which of its sockets. */
export interface LinkCandidate {
  schema: NodeSchema;
  handle: string;
}

/**
 * Node types with a socket the dragged link fits (the graph core's `canConnect`): inputs for
 * a link dragged from an output, outputs for one dragged from an input. First fitting socket
 * per type, in catalog order.
 */
export function linkCandidates(from: LinkEnd, fromSchema: NodeSchema, nodes: readonly NodeSchema[]): LinkCandidate[] {
  const found: LinkCandidate[] = [];
  for (const schema of nodes) {
    const sockets = from.side === "source" ? schema.inputs : schema.outputs;
    const fits = sockets.find((socket) =>
      from.side === "source"
        ? canConnect(fromSchema, from.handle, schema, socket.name).ok
        : canConnect(schema, socket.name, fromSchema, from.handle).ok,
    );
    if (fits) found.push({ schema, handle: fits.name });
  }
  return found;
}

import { canConnect } from "@infix/graph";
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type OnConnectEnd,
} from "@xyflow/react";
import {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type DragEvent,
  type MouseEvent as ReactMouseEvent,
} from "react";
import { moveAnnotation, parseAnnotationId, removeAnnotations, resizeAnnotation } from "../state/annotations.ts";
import type { Size } from "../state/document-store.ts";
import { addNode, connect, moveNodes, removeNodes, unlinkInput, type Point } from "../state/operations.ts";
import { useDocument, useStudio, useStudioState, useTab } from "../state/react.ts";
import { LinkDropSearch, type LinkDropState } from "./LinkDropSearch.tsx";
import { NodeContextMenu, type ContextMenuState } from "./NodeContextMenu.tsx";
import { linkCandidates, type LinkCandidate, type LinkEnd } from "./placement.ts";
import { GroupNode, NoteNode } from "./AnnotationNodes.tsx";
import { deriveAnnotations, deriveEdges, FlowNodeCache, type CanvasNode } from "./flow-model.ts";
import { readableViewport } from "./readable-viewport.ts";
import { FallbackNode, StudioNode } from "./StudioNode.tsx";

/** Declared at module level so React Flow does not remount nodes on every render. */
const nodeTypes = { studio: StudioNode, fallback: FallbackNode, studioNote: NoteNode, studioGroup: GroupNode };
export const PALETTE_MIME = "application/x-infix-node-type";
const SNAP: [number, number] = [10, 10];

/**
 * The canvas: a controlled React Flow over the active tab's document. Every change React
 * Flow proposes becomes a document edit (with undo) or a view-state update (selection, sizes).
 */
export function FlowCanvas() {
  const studio = useStudio();
  const tab = useTab();
  const catalog = useStudioState((s) => s.catalog);
  const workflow = useDocument((s) => s.workflow);
  const selection = useDocument((s) => s.selection);
  const measured = useDocument((s) => s.measured);
  const flow = useReactFlow();
  const cache = useMemo(() => new FlowNodeCache(), []);
  const dragKey = useRef("drag");
  const [selectedEdges, setSelectedEdges] = useState<ReadonlySet<string>>(new Set());
  const [selectedAnnotations, setSelectedAnnotations] = useState<ReadonlySet<string>>(new Set());
  const [menu, setMenu] = useState<ContextMenuState | null>(null);
  const [linkDrop, setLinkDrop] = useState<(LinkDropState & { from: LinkEnd }) | null>(null);
  const [pointerNotice, setPointerNotice] = useState<{ x: number; y: number; text: string } | null>(null);
  // Positions of nodes being dragged, shown before they are committed as one edit at drag end:
  // a frame then costs no document update (no patches, no history) however many nodes move.
  const [dragOverlay, setDragOverlay] = useState<Readonly<Record<string, Point>> | null>(null);
  const overlayRef = useRef<Record<string, Point>>({});
  // The view saved with the workflow, read once per tab (the canvas remounts per tab).
  const [initialViewport] = useState(() => tab.doc.getState().workflow.editor?.viewport);

  useReadableFirstView(initialViewport === undefined);

  const workflowFlowNodes = useMemo(
    () => cache.nodes(workflow, selection, measured, catalog),
    [cache, workflow, selection, measured, catalog],
  );
  // Notes and groups change only when they are edited: moving a workflow node keeps both arrays.
  const groups = workflow.editor?.groups;
  const notes = workflow.editor?.notes;
  const annotations = useMemo(
    () => deriveAnnotations({ nodes: {}, groups: groups ?? [], notes: notes ?? [] }, selectedAnnotations),
    [groups, notes, selectedAnnotations],
  );
  const draggedNodes = useMemo(
    () =>
      dragOverlay
        ? workflowFlowNodes.map((n) => (dragOverlay[n.id] ? { ...n, position: dragOverlay[n.id] } : n))
        : workflowFlowNodes,
    [workflowFlowNodes, dragOverlay],
  );
  const nodes: CanvasNode[] = useMemo(
    () =>
      annotations.groups.length || annotations.notes.length
        ? [...annotations.groups, ...draggedNodes, ...annotations.notes]
        : draggedNodes,
    [annotations, draggedNodes],
  );
  // Edges depend on the nodes' inputs only: moving a node keeps `workflow.nodes` and skips this.
  const workflowNodes = workflow.nodes;
  const derivedEdges = useMemo(() => deriveEdges({ nodes: workflowNodes }, catalog), [workflowNodes, catalog]);
  const edges = useMemo(
    () =>
      selectedEdges.size === 0
        ? derivedEdges
        : derivedEdges.map((e) => (selectedEdges.has(e.id) ? { ...e, selected: true } : e)),
    [derivedEdges, selectedEdges],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      const doc = tab.doc.getState();
      const annotationChanges = changes.filter((c) => "id" in c && parseAnnotationId(c.id));
      if (annotationChanges.length) applyAnnotationChanges(annotationChanges);
      changes = changes.filter((c) => !("id" in c && parseAnnotationId(c.id)));
      const positions: Record<string, Point> = {};
      const dragging: Record<string, Point> = {};
      const sizes: Record<string, Size> = {};
      let selected: Set<string> | undefined;
      for (const change of changes) {
        if (change.type === "position" && change.position)
          (change.dragging ? dragging : positions)[change.id] = change.position;
        else if (change.type === "dimensions" && change.dimensions) sizes[change.id] = change.dimensions;
        else if (change.type === "select") {
          selected ??= new Set(doc.selection);
          if (change.selected) selected.add(change.id);
          else selected.delete(change.id);
        }
      }
      if (Object.keys(dragging).length) {
        overlayRef.current = { ...overlayRef.current, ...dragging };
        setDragOverlay(overlayRef.current);
      }
      if (Object.keys(positions).length) {
        const all = { ...overlayRef.current, ...positions };
        overlayRef.current = {};
        setDragOverlay(null);
        doc.apply("move", (d) => moveNodes(d, all), { coalesceKey: dragKey.current });
      }
      if (Object.keys(sizes).length) doc.setMeasured(sizes);
      if (selected) doc.select(selected);
    },
    [tab],
  );

  function applyAnnotationChanges(changes: NodeChange<CanvasNode>[]) {
    const doc = tab.doc.getState();
    // Resizing from a top or left handle moves the item too: both coalesce into the resize's one undo step.
    const resizing = new Set(
      changes.filter((c) => c.type === "dimensions" && c.resizing !== undefined).map((c) => ("id" in c ? c.id : "")),
    );
    for (const change of changes) {
      if (!("id" in change)) continue;
      const target = parseAnnotationId(change.id)!;
      if (change.type === "position" && change.position) {
        const to = change.position;
        const coalesceKey = resizing.has(change.id) ? `resize:${change.id}` : dragKey.current;
        doc.apply("move", (d) => moveAnnotation(d, target.kind, target.id, to), { coalesceKey });
      } else if (change.type === "dimensions" && change.dimensions && change.resizing !== undefined) {
        const size = change.dimensions;
        doc.apply("resize", (d) => resizeAnnotation(d, target.kind, target.id, size), {
          coalesceKey: `resize:${change.id}`,
        });
      } else if (change.type === "select") {
        const selected = change.selected;
        setSelectedAnnotations((prev) => {
          const next = new Set(prev);
          if (selected) next.add(change.id);
          else next.delete(change.id);
          return next;
        });
      }
    }
  }

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      const selects = changes.filter((c) => c.type === "select");
      if (selects.length) {
        setSelectedEdges((prev) => {
          const next = new Set(prev);
          for (const c of selects) {
            if (c.type !== "select") continue;
            if (c.selected) next.add(c.id);
            else next.delete(c.id);
          }
          return next;
        });
      }
    },
    [tab],
  );

  // Deleting nodes also deletes their edges: one callback, so it is one undo step (removals in
  // onNodesChange/onEdgesChange would arrive as two edits, and undo would restore only half).
  const onDelete = useCallback(
    ({ nodes: gone, edges: cut }: { nodes: CanvasNode[]; edges: Edge[] }) => {
      const goneIds = new Set(gone.filter((n) => !parseAnnotationId(n.id)).map((n) => n.id));
      const goneAnnotations = gone.filter((n) => parseAnnotationId(n.id)).map((n) => n.id);
      tab.doc.getState().apply(gone.length ? "delete" : "disconnect", (d) => {
        for (const e of cut) if (!goneIds.has(e.target)) unlinkInput(d, e.target, e.targetHandle ?? "");
        if (goneIds.size) removeNodes(d, goneIds);
        if (goneAnnotations.length) removeAnnotations(d, goneAnnotations);
      });
    },
    [tab],
  );

  const validity = useCallback(
    (c: Connection | Edge) => {
      const wf = tab.doc.getState().workflow;
      const source = catalog?.schema(wf.nodes[c.source]?.type ?? "");
      const target = catalog?.schema(wf.nodes[c.target]?.type ?? "");
      if (!source || !target) return { ok: false as const, reason: "unknown node type" };
      if (c.source === c.target) return { ok: false as const, reason: "a node cannot feed itself" };
      return canConnect(source, c.sourceHandle ?? "", target, c.targetHandle ?? "");
    },
    [tab, catalog],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (!validity(c).ok) return;
      tab.doc
        .getState()
        .apply("connect", (d) => connect(d, c.source, c.sourceHandle ?? "", c.target, c.targetHandle ?? ""));
      setPointerNotice(null);
      studio.succeeded();
    },
    [tab, validity, studio],
  );

  // React Flow refuses the drop silently; say why, with the graph core's reason, at the pointer.
  // A link dropped on empty canvas opens the search for nodes it can connect to.
  const onConnectEnd: OnConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      const point = "changedTouches" in event ? event.changedTouches[0] : event;
      if (!state.toHandle && state.fromHandle && !state.toNode && catalog) {
        const fromNode = tab.doc.getState().workflow.nodes[state.fromHandle.nodeId];
        const fromSchema = fromNode && catalog.schema(fromNode.type);
        if (!fromSchema) return;
        const from = {
          nodeId: state.fromHandle.nodeId,
          handle: state.fromHandle.id ?? "",
          side: state.fromHandle.type,
        } as const;
        setLinkDrop({
          x: point.clientX,
          y: point.clientY,
          from,
          candidates: linkCandidates(from, fromSchema, catalog.catalog.nodes),
        });
        return;
      }
      if (state.isValid || !state.toHandle || !state.fromHandle) return;
      const from = state.fromHandle;
      const to = state.toHandle;
      const c =
        from.type === "source"
          ? { source: from.nodeId, sourceHandle: from.id ?? null, target: to.nodeId, targetHandle: to.id ?? null }
          : { source: to.nodeId, sourceHandle: to.id ?? null, target: from.nodeId, targetHandle: from.id ?? null };
      const v = validity(c);
      if (!v.ok) {
        studio.notify("error", `Connection refused: ${v.reason}`);
        setPointerNotice({ x: point.clientX, y: point.clientY, text: `Refused: ${v.reason}` });
      }
    },
    [studio, validity, catalog, tab],
  );

  const addForLink = useCallback(
    (drop: LinkDropState & { from: LinkEnd }, candidate: LinkCandidate) => {
      setLinkDrop(null);
      const position = snapPoint(flow.screenToFlowPosition({ x: drop.x, y: drop.y }));
      let id = "";
      tab.doc.getState().apply(`add ${candidate.schema.type}`, (d) => {
        id = addNode(d, candidate.schema, position);
        if (drop.from.side === "source") connect(d, drop.from.nodeId, drop.from.handle, id, candidate.handle);
        else connect(d, id, candidate.handle, drop.from.nodeId, drop.from.handle);
      });
      tab.doc.getState().select([id]);
      studio.succeeded();
    },
    [flow, tab, studio],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      event.preventDefault();
      const type = event.dataTransfer.getData(PALETTE_MIME);
      const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      if (type) {
        const schema = catalog?.schema(type);
        if (!schema) return;
        let id = "";
        tab.doc.getState().apply(`add ${type}`, (d) => void (id = addNode(d, schema, snapPoint(position))));
        tab.doc.getState().select([id]);
        return;
      }
      const file = event.dataTransfer.files[0];
      if (file) void studio.openFile(file);
    },
    [flow, catalog, tab, studio],
  );

  const onNodeContextMenu = useCallback((event: ReactMouseEvent, node: CanvasNode) => {
    event.preventDefault();
    if (parseAnnotationId(node.id)) return;
    setMenu({ nodeId: node.id, x: event.clientX, y: event.clientY });
  }, []);

  return (
    <div
      className="canvas"
      onDragOver={(e) => e.preventDefault()}
      onDrop={onDrop}
      onPointerDown={() => pointerNotice && setPointerNotice(null)}
      data-testid="canvas"
    >
      <ReactFlow<CanvasNode>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onDelete={onDelete}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={(c) => validity(c).ok}
        onNodeDragStart={(e) => {
          dragKey.current = `drag:${e.timeStamp}:${Math.random()}`;
          studio.validation.setDragging(true);
        }}
        onNodeDragStop={() => studio.validation.setDragging(false)}
        onNodeContextMenu={onNodeContextMenu}
        onPaneClick={() => {
          setMenu(null);
          setLinkDrop(null);
        }}
        snapToGrid
        snapGrid={SNAP}
        colorMode="dark"
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Control", "Meta"]}
        deleteKeyCode={["Delete", "Backspace"]}
        minZoom={0.05}
        maxZoom={3}
        {...(initialViewport ? { defaultViewport: initialViewport } : {})}
        onMoveEnd={(_event, viewport) => tab.doc.getState().setViewport(viewport)}
        proOptions={{ hideAttribution: true }}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1} />
        <MiniMap
          pannable
          zoomable
          ariaLabel="Mini map"
          nodeColor={(n) => (n.type === "fallback" ? "#c62828" : "#5c6bc0")}
        />
        <Controls showInteractive={false} />
      </ReactFlow>
      {menu && <NodeContextMenu menu={menu} onClose={() => setMenu(null)} />}
      {linkDrop && (
        <LinkDropSearch drop={linkDrop} onPick={(c) => addForLink(linkDrop, c)} onClose={() => setLinkDrop(null)} />
      )}
      {pointerNotice && (
        <div
          className="pointer-notice"
          role="alert"
          data-testid="pointer-notice"
          style={{ left: pointerNotice.x + 12, top: pointerNotice.y + 12 }}
        >
          {pointerNotice.text}
        </div>
      )}
    </div>
  );
}

/**
 * Without a saved view, the first view once React Flow has measured the nodes: the whole graph
 * if it fits at a readable zoom, else its start (see readable-viewport.ts).
 */
function useReadableFirstView(wanted: boolean): void {
  const flow = useReactFlow();
  const measured = useNodesInitialized();
  const done = useRef(!wanted);
  useEffect(() => {
    if (done.current || !measured) return;
    const canvas = document.querySelector(".canvas")?.getBoundingClientRect();
    const nodes = flow.getNodes();
    if (!canvas || nodes.length === 0) return;
    done.current = true;
    void flow.setViewport(readableViewport(flow.getNodesBounds(nodes), canvas));
  }, [flow, measured]);
}

export function snapPoint(p: Point): Point {
  return { x: Math.round(p.x / SNAP[0]) * SNAP[0], y: Math.round(p.y / SNAP[1]) * SNAP[1] };
}

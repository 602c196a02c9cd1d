import { NodeResizer, type Node, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { setGroupTitle, setNoteText } from "../state/annotations.ts";
import { useTab } from "../state/react.ts";

/** Notes and groups on the canvas: layout-only, edited in place, undoable like any edit. */

export interface AnnotationData extends Record<string, unknown> {
  annotationId: string;
  text: string;
}

export type NoteFlowNode = Node<AnnotationData, "studioNote">;
export type GroupFlowNode = Node<AnnotationData, "studioGroup">;

export const NoteNode = memo(function NoteNode({ data, selected }: NodeProps<NoteFlowNode>) {
  const tab = useTab();
  return (
    <div className={`note-node${selected ? " is-selected" : ""}`} data-note-id={data.annotationId}>
      <NodeResizer isVisible={selected} minWidth={120} minHeight={60} />
      <div className="note-node__grip" title="Drag to move" />
      <textarea
        className="nodrag nowheel"
        aria-label="Note"
        placeholder="Write a note…"
        value={data.text}
        onKeyDown={(e) => e.stopPropagation()}
        onChange={(e) => {
          const text = e.currentTarget.value;
          tab.doc.getState().apply("edit note", (d) => setNoteText(d, data.annotationId, text), {
            coalesceKey: `note:${data.annotationId}`,
          });
        }}
      />
    </div>
  );
});

export const GroupNode = memo(function GroupNode({ data, selected }: NodeProps<GroupFlowNode>) {
  const tab = useTab();
  return (
    <div className={`group-node${selected ? " is-selected" : ""}`} data-group-id={data.annotationId}>
      <NodeResizer isVisible={selected} minWidth={160} minHeight={100} />
      <input
        className="group-node__title nodrag"
        aria-label="Group title"
        value={data.text}
        onKeyDown={(e) => e.stopPropagation()}
        onChange={(e) => {
          const title = e.currentTarget.value;
          tab.doc.getState().apply("rename group", (d) => setGroupTitle(d, data.annotationId, title), {
            coalesceKey: `group:${data.annotationId}`,
          });
        }}
      />
    </div>
  );
});

import type { Workflow } from "@infix/graph";
import { ensureEditor, type Point } from "./operations.ts";

/**
 * Notes and groups: layout-only annotations kept in `workflow.editor` (the engine ignores
 * them). Each has its own id space; on the canvas they appear as `note:<id>` / `group:<id>`.
 */

export type AnnotationKind = "note" | "group";

export function annotationNodeId(kind: AnnotationKind, id: string): string {
  return `${kind}:${id}`;
}

/** Splits a canvas id into an annotation's kind and id; undefined for workflow nodes. */
export function parseAnnotationId(canvasId: string): { kind: AnnotationKind; id: string } | undefined {
  const match = /^(note|group):(.+)$/.exec(canvasId);
  return match ? { kind: match[1] as AnnotationKind, id: match[2] } : undefined;
}

function freshId(existing: readonly { id: string }[], prefix: string): string {
  const taken = new Set(existing.map((a) => a.id));
  let n = existing.length + 1;
  while (taken.has(`${prefix}${n}`)) n++;
  return `${prefix}${n}`;
}

export function addNote(workflow: Workflow, at: Point, text = ""): string {
  const editor = ensureEditor(workflow);
  const id = freshId(editor.notes, "n");
  editor.notes.push({ id, text, position: { x: at.x, y: at.y }, size: { width: 220, height: 120 } });
  return id;
}

export function addGroup(workflow: Workflow, at: Point, title = "Group"): string {
  const editor = ensureEditor(workflow);
  const id = freshId(editor.groups, "g");
  editor.groups.push({ id, title, position: { x: at.x, y: at.y }, size: { width: 480, height: 320 } });
  return id;
}

export function moveAnnotation(workflow: Workflow, kind: AnnotationKind, id: string, to: Point): void {
  const editor = ensureEditor(workflow);
  const item = kind === "note" ? editor.notes.find((n) => n.id === id) : editor.groups.find((g) => g.id === id);
  if (item) item.position = { x: to.x, y: to.y };
}

export function resizeAnnotation(
  workflow: Workflow,
  kind: AnnotationKind,
  id: string,
  size: { width: number; height: number },
): void {
  if (size.width <= 0 || size.height <= 0) return;
  const editor = ensureEditor(workflow);
  const item = kind === "note" ? editor.notes.find((n) => n.id === id) : editor.groups.find((g) => g.id === id);
  if (item) item.size = { width: size.width, height: size.height };
}

export function setNoteText(workflow: Workflow, id: string, text: string): void {
  const note = ensureEditor(workflow).notes.find((n) => n.id === id);
  if (note) note.text = text;
}

export function setGroupTitle(workflow: Workflow, id: string, title: string): void {
  const group = ensureEditor(workflow).groups.find((g) => g.id === id);
  if (group) group.title = title;
}

export function removeAnnotations(workflow: Workflow, canvasIds: Iterable<string>): void {
  const editor = ensureEditor(workflow);
  const gone = [...canvasIds].map(parseAnnotationId).filter((a) => a !== undefined);
  const notes = new Set(gone.filter((a) => a.kind === "note").map((a) => a.id));
  const groups = new Set(gone.filter((a) => a.kind === "group").map((a) => a.id));
  if (notes.size) editor.notes = editor.notes.filter((n) => !notes.has(n.id));
  if (groups.size) editor.groups = editor.groups.filter((g) => !groups.has(g.id));
}

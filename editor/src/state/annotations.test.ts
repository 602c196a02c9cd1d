import { emptyWorkflow } from "@infix/graph";
import { describe, expect, it } from "vitest";
import {
  addGroup,
  addNote,
  annotationNodeId,
  moveAnnotation,
  parseAnnotationId,
  removeAnnotations,
  resizeAnnotation,
  setNoteText,
} from "./annotations.ts";

describe("notes and groups", () => {
  it("adds, edits, moves, resizes and removes them in the editor data", () => {
    const wf = emptyWorkflow();
    const note = addNote(wf, { x: 1, y: 2 }, "hello");
    const group = addGroup(wf, { x: 0, y: 0 }, "Inputs");
    setNoteText(wf, note, "hello again");
    moveAnnotation(wf, "note", note, { x: 50, y: 60 });
    resizeAnnotation(wf, "group", group, { width: 900, height: 500 });
    expect(wf.editor?.notes).toEqual([
      { id: "n1", text: "hello again", position: { x: 50, y: 60 }, size: { width: 220, height: 120 } },
    ]);
    expect(wf.editor?.groups).toEqual([
      { id: "g1", title: "Inputs", position: { x: 0, y: 0 }, size: { width: 900, height: 500 } },
    ]);
    removeAnnotations(wf, [annotationNodeId("note", note), "5"]);
    expect(wf.editor?.notes).toEqual([]);
    expect(wf.editor?.groups).toHaveLength(1);
  });

  it("tells annotation canvas ids from workflow node ids", () => {
    expect(parseAnnotationId("group:g2")).toEqual({ kind: "group", id: "g2" });
    expect(parseAnnotationId("12")).toBeUndefined();
  });

  it("never reuses a live id", () => {
    const wf = emptyWorkflow();
    addNote(wf, { x: 0, y: 0 });
    addNote(wf, { x: 0, y: 0 });
    removeAnnotations(wf, ["note:n1"]);
    expect(addNote(wf, { x: 0, y: 0 })).toBe("n3");
  });
});

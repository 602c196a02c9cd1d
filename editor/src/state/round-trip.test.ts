import { parseWorkflow, serializeWorkflow } from "@infix/graph";
import { describe, expect, it } from "vitest";
import { createDocumentStore, isDirty } from "./document-store.ts";
import { moveNodes, setInputValue } from "./operations.ts";

/** A document with every kind of editor data, including keys this editor does not know. */
const saved = {
  format: "infix-workflow",
  version: 2,
  name: "round trip",
  description: "all the layout kinds",
  nodes: {
    pack: { type: "LoadModelPack", mode: "active", inputs: { pack: "tiny" } },
    sample: {
      type: "Sampler",
      mode: "bypassed",
      title: "My sampler",
      inputs: { latents: { node: "pack", output: "pack" }, seed: 7, cfg: 2.5 },
    },
  },
  requires: [{ kind: "model-pack", id: "tiny", hash: "sha256:abc" }],
  editor: {
    nodes: {
      pack: { position: { x: -20, y: 10.5 }, size: { width: 240, height: 120 }, collapsed: true, color: "#223344" },
      sample: { position: { x: 300, y: 0 }, seedControl: { seed: "fixed" } },
    },
    groups: [
      { id: "g1", title: "Inputs", position: { x: -40, y: -40 }, size: { width: 400, height: 300 }, color: "#333" },
    ],
    notes: [{ id: "n1", text: "remember the subject", position: { x: 0, y: 400 } }],
    viewport: { x: 10, y: 20, zoom: 0.75 },
    somebodyElsesLayout: { keep: ["me"] },
  },
};

describe("document ↔ workflow JSON", () => {
  it("round-trips a saved workflow through the document store without loss", () => {
    const loaded = parseWorkflow(saved);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const doc = createDocumentStore(loaded.workflow);
    const text = serializeWorkflow(doc.getState().workflow);
    const again = parseWorkflow(JSON.parse(text));
    expect(again.ok && again.workflow).toEqual(saved);
  });

  it("keeps the view in the document without an undo step or an unsaved mark, and undo still works", () => {
    const loaded = parseWorkflow(saved);
    if (!loaded.ok) throw new Error("parse");
    const doc = createDocumentStore(loaded.workflow);
    doc.getState().apply("move", (d) => moveNodes(d, { pack: { x: 1, y: 2 } }));
    doc.getState().markSaved();
    doc.getState().setViewport({ x: -5, y: 6, zoom: 2 });
    expect(isDirty(doc.getState())).toBe(false);
    expect(doc.getState().history.past).toHaveLength(1);
    doc.getState().undo();
    expect(doc.getState().workflow.editor?.nodes.pack.position).toEqual({ x: -20, y: 10.5 });
    expect(doc.getState().workflow.editor?.viewport).toEqual({ x: -5, y: 6, zoom: 2 });
  });

  it("comes back to the same JSON after edits are undone", () => {
    const loaded = parseWorkflow(saved);
    if (!loaded.ok) throw new Error("parse");
    const doc = createDocumentStore(loaded.workflow);
    doc.getState().apply("move", (d) => moveNodes(d, { pack: { x: 1, y: 2 } }));
    doc.getState().apply("value", (d) => setInputValue(d, "sample", "cfg", 9));
    expect(JSON.parse(serializeWorkflow(doc.getState().workflow)).nodes.sample.inputs.cfg).toBe(9);
    doc.getState().undo();
    doc.getState().undo();
    expect(JSON.parse(serializeWorkflow(doc.getState().workflow))).toEqual(saved);
    expect(doc.getState().workflow).not.toBe(loaded.workflow); // equal, not identical: dirtiness must not rely on identity
    expect(isDirty(doc.getState())).toBe(false);
    doc.getState().redo();
    expect(isDirty(doc.getState())).toBe(true);
  });
});

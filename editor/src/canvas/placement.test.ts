import { emptyWorkflow, type Workflow } from "@infix/graph";
import { describe, expect, it } from "vitest";
import { addNode } from "../state/operations.ts";
import { emptyLatent, loadImage, sampler, saveImage, testCatalog } from "../state/test-catalog.ts";
import { estimateNodeSize, freePlace, linkCandidates } from "./placement.ts";

function workflowWith(...at: { x: number; y: number }[]): Workflow {
  const workflow = emptyWorkflow();
  for (const p of at) addNode(workflow, emptyLatent, p);
  return workflow;
}

describe("freePlace", () => {
  it("takes the wanted place when it is free", () => {
    expect(freePlace({ x: 500, y: 500 }, workflowWith({ x: 0, y: 0 }), {})).toEqual({ x: 500, y: 500 });
  });

  it("puts nodes added at the same spot beside each other, never on top", () => {
    const workflow = emptyWorkflow();
    const placed: { x: number; y: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const at = freePlace({ x: 100, y: 100 }, workflow, {});
      addNode(workflow, emptyLatent, at);
      placed.push(at);
    }
    expect(new Set(placed.map((p) => `${p.x},${p.y}`)).size).toBe(5);
    for (const a of placed)
      for (const b of placed) if (a !== b) expect(Math.abs(a.x - b.x) >= 260 || Math.abs(a.y - b.y) >= 160).toBe(true);
  });

  it("uses measured sizes: a tall node pushes the next one below its real bottom", () => {
    const workflow = workflowWith({ x: 0, y: 0 });
    const id = Object.keys(workflow.nodes)[0];
    const at = freePlace({ x: 0, y: 150 }, workflow, { [id]: { width: 240, height: 600 } });
    expect(at.x !== 0 || at.y >= 620).toBe(true);
  });
});

describe("freePlace before measuring", () => {
  it("takes a node not measured yet at its estimated size, so a tall one just added is not overlapped", () => {
    const workflow = workflowWith({ x: 0, y: 0 });
    // Free for a node of the default size, taken for one 600 px tall.
    expect(freePlace({ x: 0, y: 170 }, workflow, {})).toEqual({ x: 0, y: 170 });
    const at = freePlace({ x: 0, y: 170 }, workflow, {}, undefined, () => ({ width: 240, height: 600 }));
    expect(at).not.toEqual({ x: 0, y: 170 });
    expect(Math.abs(at.x) >= 260 || at.y >= 620).toBe(true);
  });
});

describe("estimateNodeSize", () => {
  it("makes nodes with more sockets and tall widgets taller", () => {
    expect(estimateNodeSize(sampler).height).toBeGreaterThan(estimateNodeSize(emptyLatent).height);
    expect(estimateNodeSize(loadImage).height).toBeGreaterThan(estimateNodeSize(emptyLatent).height + 100);
  });
});

describe("linkCandidates", () => {
  it("offers the node types whose inputs take a link dragged from a LATENT output", () => {
    const found = linkCandidates({ nodeId: "n", handle: "latents", side: "source" }, sampler, testCatalog.nodes);
    expect(found.map((c) => `${c.schema.type}.${c.handle}`)).toEqual(["Sampler.latents"]);
  });

  it("offers the node types whose outputs can feed an IMAGE input dragged backwards", () => {
    const found = linkCandidates({ nodeId: "n", handle: "image", side: "target" }, saveImage, testCatalog.nodes);
    expect(found.map((c) => `${c.schema.type}.${c.handle}`)).toEqual([`${loadImage.type}.image`]);
  });
});

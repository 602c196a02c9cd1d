import { emptyWorkflow } from "@infix/graph";
import { produce } from "immer";
import { describe, expect, it } from "vitest";
import { indexCatalog } from "../state/catalog.ts";
import { addNode, connect, moveNodes } from "../state/operations.ts";
import { emptyLatent, sampler, testCatalog } from "../state/test-catalog.ts";
import { deriveEdges, FlowNodeCache } from "./flow-model.ts";

const catalog = indexCatalog(testCatalog);

describe("document → React Flow", () => {
  it("derives one coloured edge per link, with handles named by output and input", () => {
    const wf = emptyWorkflow();
    const a = addNode(wf, emptyLatent, { x: 0, y: 0 });
    const b = addNode(wf, sampler, { x: 200, y: 0 });
    connect(wf, a, "latents", b, "latents");
    expect(deriveEdges(wf, catalog)).toEqual([
      {
        id: "1:latents->2:latents",
        source: "1",
        sourceHandle: "latents",
        target: "2",
        targetHandle: "latents",
        style: { stroke: "#ff9cf9", strokeWidth: 2 },
        data: { type: "LATENT" },
      },
    ]);
  });

  it("keeps the identity of nodes that did not change and renders unknown types as fallback", () => {
    const wf = emptyWorkflow();
    addNode(wf, emptyLatent, { x: 0, y: 0 });
    addNode(wf, sampler, { x: 200, y: 0 });
    wf.nodes["3"] = { type: "Vanished", mode: "active", inputs: {} };
    const cache = new FlowNodeCache();
    const first = cache.nodes(wf, new Set(), {}, catalog);
    expect(first.map((n) => n.type)).toEqual(["studio", "studio", "fallback"]);
    const moved = produce(wf, (d) => moveNodes(d, { "2": { x: 9, y: 9 } }));
    const second = cache.nodes(moved, new Set(["1"]), {}, catalog);
    expect(second[2]).toBe(first[2]);
    expect(second[1]).not.toBe(first[1]);
    expect(second[1].position).toEqual({ x: 9, y: 9 });
    expect(second[0].selected).toBe(true);
  });

  it("gives an unknown node handles for the outputs other nodes link to, so their edges still draw", () => {
    const wf = emptyWorkflow();
    wf.nodes.gone = { type: "Vanished", mode: "active", inputs: {} };
    const s = addNode(wf, sampler, { x: 0, y: 0 });
    wf.nodes[s].inputs.latents = { node: "gone", output: "latent_out" };
    const fallback = new FlowNodeCache().nodes(wf, new Set(), {}, catalog).find((n) => n.id === "gone")!;
    expect(fallback.type).toBe("fallback");
    expect(fallback.data.linkedOutputs).toEqual(["latent_out"]);
  });
});

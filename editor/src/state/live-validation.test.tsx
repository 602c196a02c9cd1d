// @vitest-environment jsdom
import { act, cleanup, render, screen } from "@testing-library/react";
import { ReactFlowProvider } from "@xyflow/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiClient } from "../api/client.ts";
import type { StudioFlowNode } from "../canvas/flow-model.ts";
import { StudioNode } from "../canvas/StudioNode.tsx";
import { indexCatalog } from "./catalog.ts";
import { addNode, connect, moveNodes, setInputValue, unlinkInput } from "./operations.ts";
import { StudioContext, TabContext } from "./react.ts";
import { Studio } from "./studio.ts";
import { emptyLatent, sampler, testCatalog } from "./test-catalog.ts";

beforeEach(() => void vi.useFakeTimers());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

/** A studio with the test catalog, an Empty Latent feeding a Sampler, and live validation on. */
function linkedPair() {
  const studio = new Studio(createApiClient({ fetch: async () => new Response("{}", { status: 500 }) }));
  studio.store.setState({ catalog: indexCatalog(testCatalog) });
  let latent = "";
  let samplerId = "";
  studio.tab.doc.getState().apply("setup", (d) => {
    latent = addNode(d, emptyLatent, { x: 0, y: 0 });
    samplerId = addNode(d, sampler, { x: 300, y: 0 });
    connect(d, latent, "latents", samplerId, "latents");
  });
  const stop = studio.validation.start();
  vi.advanceTimersByTime(200);
  return { studio, doc: studio.tab.doc.getState(), live: studio.tab.live, latent, samplerId, stop };
}

const codes = (studio: Studio, id: string) => studio.tab.live.get(id).problems?.map((p) => `${p.code}:${p.input}`);

describe("LiveValidation", () => {
  it("marks an unlinked required input 150 ms after the edit, and clears it once linked again", () => {
    const { studio, doc, samplerId, latent } = linkedPair();
    expect(codes(studio, samplerId)).toBeUndefined();
    doc.apply("unlink", (d) => unlinkInput(d, samplerId, "latents"));
    vi.advanceTimersByTime(100);
    expect(codes(studio, samplerId)).toBeUndefined(); // still within the debounce
    vi.advanceTimersByTime(60);
    expect(codes(studio, samplerId)).toEqual(["missing_input:latents"]);
    studio.tab.doc.getState().apply("relink", (d) => connect(d, latent, "latents", samplerId, "latents"));
    vi.advanceTimersByTime(160);
    expect(codes(studio, samplerId)).toBeUndefined();
  });

  it("marks a value outside its widget's range on its input (a typing burst validates once, at its end)", () => {
    const { studio, samplerId } = linkedPair();
    const validate = vi.spyOn(studio.tab.live, "update");
    for (const steps of [5, 50, 500]) {
      studio.tab.doc
        .getState()
        .apply("type", (d) => setInputValue(d, samplerId, "steps", steps), { coalesceKey: "typing" });
      vi.advanceTimersByTime(100);
    }
    expect(validate).not.toHaveBeenCalled();
    vi.advanceTimersByTime(60);
    expect(codes(studio, samplerId)).toEqual(["out_of_range:steps"]);
    expect(validate).toHaveBeenCalledTimes(1);
  });

  it("does not validate for layout-only edits, and holds a due pass until a drag ends", () => {
    const { studio, doc, samplerId, latent } = linkedPair();
    const update = vi.spyOn(studio.tab.live, "update");
    doc.apply("move", (d) => moveNodes(d, { [latent]: { x: 40, y: 40 } }));
    vi.advanceTimersByTime(500);
    expect(update).not.toHaveBeenCalled();

    studio.validation.setDragging(true);
    studio.tab.doc.getState().apply("unlink", (d) => unlinkInput(d, samplerId, "latents"));
    vi.advanceTimersByTime(1000);
    expect(codes(studio, samplerId)).toBeUndefined();
    studio.validation.setDragging(false);
    vi.advanceTimersByTime(160);
    expect(codes(studio, samplerId)).toEqual(["missing_input:latents"]);
  });

  it("validates a newly opened tab, and waits for the catalog before the first pass", () => {
    const studio = new Studio(createApiClient({ fetch: async () => new Response("{}", { status: 500 }) }));
    studio.validation.start();
    studio.newTab();
    let id = "";
    studio.tab.doc.getState().apply("add", (d) => void (id = addNode(d, sampler, { x: 0, y: 0 })));
    vi.advanceTimersByTime(500);
    expect(codes(studio, id)).toBeUndefined(); // no catalog yet: nothing to validate against
    studio.store.setState({ catalog: indexCatalog(testCatalog) });
    vi.advanceTimersByTime(160);
    expect(codes(studio, id)).toEqual(["missing_input:latents"]);
  });

  it("shows the problem on the node and its input row, and removes both when fixed", () => {
    const { studio, doc, samplerId, latent } = linkedPair();
    const view = () => {
      const workflow = studio.tab.doc.getState().workflow;
      const flowNode = {
        id: samplerId,
        position: { x: 0, y: 0 },
        data: { node: workflow.nodes[samplerId], layout: workflow.editor?.nodes[samplerId] },
      } as StudioFlowNode;
      return (
        <StudioContext.Provider value={studio}>
          <TabContext.Provider value={studio.tab}>
            <ReactFlowProvider>
              <StudioNode
                {...({ id: samplerId, data: flowNode.data, selected: false } as Parameters<typeof StudioNode>[0])}
              />
            </ReactFlowProvider>
          </TabContext.Provider>
        </StudioContext.Provider>
      );
    };
    const { container, rerender } = render(view());
    const row = () => container.querySelector('[data-input="latents"]')!;
    expect(screen.queryByRole("alert")).toBeNull();

    act(() => {
      doc.apply("unlink", (d) => unlinkInput(d, samplerId, "latents"));
      vi.advanceTimersByTime(160);
    });
    rerender(view());
    expect(screen.getByRole("alert").textContent).toContain("latents");
    expect(row().className).toContain("is-invalid");
    expect(container.querySelector(".studio-node")!.className).toContain("has-problems");

    act(() => {
      studio.tab.doc.getState().apply("relink", (d) => connect(d, latent, "latents", samplerId, "latents"));
      vi.advanceTimersByTime(160);
    });
    rerender(view());
    expect(screen.queryByRole("alert")).toBeNull();
    expect(row().className).not.toContain("is-invalid");
  });
});

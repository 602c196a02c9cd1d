// @vitest-environment jsdom
import { emptyWorkflow } from "@infix/graph";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { ReactFlowProvider } from "@xyflow/react";
import { afterEach, describe, expect, it } from "vitest";
import { createApiClient } from "../api/client.ts";
import { indexCatalog } from "../state/catalog.ts";
import { addNode, connect } from "../state/operations.ts";
import { StudioContext, TabContext } from "../state/react.ts";
import { Studio } from "../state/studio.ts";
import { createTab } from "../state/tabs.ts";
import { emptyLatent, loadImage, sampler, saveImage, testCatalog } from "../state/test-catalog.ts";
import type { StudioFlowNode } from "./flow-model.ts";
import { StudioNode } from "./StudioNode.tsx";

afterEach(cleanup);

describe("StudioNode", () => {
  it("renders a widget for every widget kind from the schema alone", () => {
    renderNode((d) => addNode(d, sampler, { x: 0, y: 0 }));
    expect(screen.getByRole("spinbutton", { name: "steps" }).textContent).toBe("20");
    expect(screen.getByRole("spinbutton", { name: "cfg" }).textContent).toBe("7.5");
    expect((screen.getByLabelText("seed") as HTMLInputElement).value).toBe("42");
    expect((screen.getByLabelText("seed after each run") as HTMLSelectElement).value).toBe("randomize");
    expect((screen.getByLabelText("scheduler") as HTMLSelectElement).value).toBe("pndm");
    expect(screen.getByText("Sampler")).toBeTruthy();
    cleanup();
    renderNode((d) => addNode(d, saveImage, { x: 0, y: 0 }));
    expect((screen.getByLabelText("prefix") as HTMLInputElement).value).toBe("infix");
    expect(screen.getByLabelText("notes").tagName).toBe("TEXTAREA");
    expect((screen.getByRole("switch", { name: "embed" }) as HTMLInputElement).checked).toBe(true);
    cleanup();
    renderNode((d) => addNode(d, loadImage, { x: 0, y: 0 }));
    expect(screen.getByLabelText("upload file")).toBeTruthy();
  });

  it("hides the widget of a linked input", () => {
    renderNode((d) => {
      const latent = addNode(d, emptyLatent, { x: 0, y: 0 });
      const s = addNode(d, sampler, { x: 0, y: 0 });
      connect(d, latent, "latents", s, "steps");
      return s;
    });
    expect(screen.queryByRole("spinbutton", { name: "steps" })).toBeNull();
    expect(screen.getByRole("spinbutton", { name: "cfg" })).toBeTruthy();
  });

  it("refuses an out-of-range typed number with the reason and commits a valid one as one undo step", () => {
    const { tab, id, rerender } = renderNode((d) => addNode(d, sampler, { x: 0, y: 0 }));
    const steps = screen.getByRole("spinbutton", { name: "steps" });
    fireEvent.pointerDown(steps, { button: 0, clientX: 0, pointerId: 1 });
    fireEvent.pointerUp(steps, { clientX: 0, pointerId: 1 });
    const field = screen.getByLabelText("steps") as HTMLInputElement;
    fireEvent.change(field, { target: { value: "500" } });
    expect(screen.getByRole("alert").textContent).toBe("expected between 1 and 150, got 500");
    fireEvent.keyDown(field, { key: "Enter" });
    expect(tab.doc.getState().workflow.nodes[id].inputs.steps).toBe(20);
    fireEvent.change(field, { target: { value: "64" } });
    fireEvent.keyDown(field, { key: "Enter" });
    expect(tab.doc.getState().workflow.nodes[id].inputs.steps).toBe(64);
    act(() => tab.doc.getState().undo());
    rerender();
    expect(tab.doc.getState().workflow.nodes[id].inputs.steps).toBe(20);
    expect(screen.getByRole("spinbutton", { name: "steps" }).textContent).toBe("20");
  });

  it("shows live state: progress k/N, then done with its time", () => {
    const { tab, id } = renderNode((d) => addNode(d, sampler, { x: 0, y: 0 }));
    act(() => tab.live.update(id, { status: "running", progress: { step: 3, total: 25 } }));
    expect(screen.getByTestId("node-status").textContent).toBe("3/25");
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("3");
    act(() => tab.live.update(id, { status: "done", ms: 1530, progress: undefined }));
    expect(screen.getByTestId("node-status").textContent).toBe("done 1.5 s");
    expect(screen.queryByRole("progressbar")).toBeNull();
  });

  it("shows the seed a queued or running job uses while the widget already holds the next one", () => {
    const { tab, id } = renderNode((d) => addNode(d, sampler, { x: 0, y: 0 }));
    act(() => tab.live.update(id, { status: "running", runSeeds: { seed: 42 } }));
    act(() => tab.doc.getState().apply("advance", (d) => void (d.nodes[id].inputs.seed = 7)));
    expect(screen.getByTestId("run-seed").textContent).toBe("running with 42");
    expect((screen.getByLabelText("seed") as HTMLInputElement).value).toBe("7");
    act(() => tab.live.update(id, { status: "done", ms: 10 }));
    expect(screen.queryByTestId("run-seed")).toBeNull();
  });

  it("shows 'pack default' for a size left to the pack, and refuses a width off the step grid inline", () => {
    const sized = {
      ...emptyLatent,
      type: "SizedLatent",
      inputs: [
        {
          name: "width",
          type: "INT",
          widget: {
            kind: "INT" as const,
            default: 0,
            min: 8,
            max: 2048,
            step: 8,
            special: { value: 0, label: "pack default" },
          },
        },
      ],
    };
    const { studio, rerender } = renderNode((d) => addNode(d, sized, { x: 0, y: 0 }));
    act(() =>
      studio.store.setState({ catalog: indexCatalog({ ...testCatalog, nodes: [...testCatalog.nodes, sized] }) }),
    );
    rerender();
    const width = screen.getByRole("spinbutton", { name: "width" });
    expect(width.textContent).toBe("pack default");
    fireEvent.pointerDown(width, { button: 0, clientX: 0, pointerId: 1 });
    fireEvent.pointerUp(width, { clientX: 0, pointerId: 1 });
    fireEvent.change(screen.getByLabelText("width"), { target: { value: "500" } });
    expect(screen.getByRole("alert").textContent).toBe("expected a multiple of 8 (496 or 504), got 500");
  });

  it("draws a node of an unknown type as a fallback that shows the type its problem suggests", () => {
    const { tab, id, rerender } = renderNode((d) => {
      d.nodes.typo = { type: "Samplr", mode: "active", inputs: { steps: 20 } };
      return "typo";
    });
    expect(screen.getByRole("alert").textContent).toContain("The server has no node type “Samplr”. Install");
    act(() =>
      tab.live.update(id, {
        problems: [{ code: "unknown_node_type", message: "", nodeId: id, found: "Samplr", suggestion: "Sampler" }],
      }),
    );
    rerender();
    expect(screen.getByRole("alert").textContent).toContain("“Samplr”. Did you mean “Sampler”? Install");
  });
});

function renderNode(build: (d: ReturnType<typeof emptyWorkflow>) => string) {
  cleanup();
  const studio = new Studio(createApiClient({ fetch: async () => new Response("{}", { status: 500 }) }));
  studio.store.setState({ catalog: indexCatalog(testCatalog) });
  const tab = createTab(emptyWorkflow());
  let id = "";
  tab.doc.getState().apply("setup", (d) => void (id = build(d)));
  tab.doc.setState({ history: { ...tab.doc.getState().history, past: [] } });
  const Harness = ({ flowNode }: { flowNode: StudioFlowNode }) => (
    <StudioNode {...({ id: flowNode.id, data: flowNode.data, selected: false } as Parameters<typeof StudioNode>[0])} />
  );
  const view = () => {
    const workflow = tab.doc.getState().workflow;
    const flowNode = {
      id,
      position: { x: 0, y: 0 },
      data: { node: workflow.nodes[id], layout: workflow.editor?.nodes[id] },
    } as StudioFlowNode;
    return (
      <StudioContext.Provider value={studio}>
        <TabContext.Provider value={tab}>
          <ReactFlowProvider>
            <Harness flowNode={flowNode} />
          </ReactFlowProvider>
        </TabContext.Provider>
      </StudioContext.Provider>
    );
  };
  const utils = render(view());
  tab.doc.subscribe(() => utils.rerender(view()));
  return { studio, tab, id, rerender: () => utils.rerender(view()) };
}

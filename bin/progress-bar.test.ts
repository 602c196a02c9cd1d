import { describe, expect, it } from "vitest";
import type { Workflow } from "@infix/engine";
import { expectedWork, RunProgress } from "./progress-bar.ts";

describe("RunProgress", () => {
  it("weights a sampler by its steps, so its run fills most of the bar as it goes", () => {
    // Four one-unit nodes and a 20-step sampler: 24 units.
    const progress = new RunProgress(
      new Map([
        ["pack", 1],
        ["prompt", 1],
        ["sampler", 20],
        ["decode", 1],
        ["save", 1],
      ]),
    );
    progress.finished("pack");
    progress.finished("prompt");
    expect(progress.line(24)).toBe("[##----------------------]   8%  2/5 nodes");
    progress.step("sampler", "Sampler", 10, 20);
    expect(progress.line(24)).toBe("[############------------]  50%  2/5 nodes  Sampler step 10/20");
    progress.step("sampler", "Sampler", 20, 20);
    progress.finished("sampler");
    expect(progress.line(24)).toBe("[######################--]  91%  3/5 nodes");
    progress.settle(["pack", "prompt", "sampler", "decode", "save"]);
    expect(progress.line(24)).toBe("[########################] 100%  5/5 nodes");
  });

  it("takes the step total a node reports over the estimate, and names a node without steps", () => {
    const progress = new RunProgress(
      new Map([
        ["sampler", 25],
        ["load", 1],
      ]),
    );
    progress.started("load", "Load Image");
    expect(progress.line(4)).toBe("[----]   0%  0/2 nodes  Load Image");
    progress.finished("load");
    progress.step("sampler", "Sampler", 13, 26);
    expect(progress.fraction()).toBeCloseTo(14 / 27);
  });

  it("drops nodes the executor spared and shows a full bar for an empty run", () => {
    const progress = new RunProgress(
      new Map([
        ["a", 1],
        ["spared", 5],
      ]),
    );
    progress.settle(["a"]);
    expect(progress.line(4)).toBe("[####] 100%  1/1 nodes");
    expect(new RunProgress(new Map()).line(4)).toBe("[####] 100%  0/0 nodes");
  });
});

describe("expectedWork", () => {
  it("counts a node's typed steps (or its schema's default) and one unit for the others, skipping muted nodes", () => {
    const workflow = {
      format: "infix-workflow",
      version: 1,
      nodes: {
        a: { type: "Sampler", mode: "active", inputs: { steps: 30 } },
        b: { type: "Sampler", mode: "active", inputs: {} },
        c: { type: "Save", mode: "active", inputs: {} },
        d: { type: "Save", mode: "muted", inputs: {} },
      },
    } as unknown as Workflow;
    const schemaOf = (type: string) =>
      type === "Sampler"
        ? ({ inputs: [{ name: "steps", type: "INT", widget: { kind: "INT", default: 25 } }] } as never)
        : undefined;
    expect(Object.fromEntries(expectedWork(workflow, schemaOf))).toEqual({ a: 30, b: 25, c: 1 });
  });
});

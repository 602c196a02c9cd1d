import { describe, expect, it } from "vitest";
import { renderProgressLine } from "./progress-bar.ts";

describe("renderProgressLine", () => {
  it("fills the bar by finished nodes", () => {
    expect(renderProgressLine({ nodesDone: 1, nodesTotal: 4 }, 8)).toBe("[##------]  1/4 nodes");
    expect(renderProgressLine({ nodesDone: 4, nodesTotal: 4 }, 8)).toBe("[########]  4/4 nodes");
  });
  it("counts the running node's steps as part of a node and shows them", () => {
    // (1 + 15/30) / 3 = 0.5 of 10 → 5 filled
    expect(
      renderProgressLine({ nodesDone: 1, nodesTotal: 3, current: { label: "Sampler", step: 15, total: 30 } }, 10),
    ).toBe("[#####-----]  1/3 nodes  Sampler 15/30");
  });
  it("shows a full bar for an empty run and pads counts", () => {
    expect(renderProgressLine({ nodesDone: 0, nodesTotal: 0 }, 4)).toBe("[####]  0/0 nodes");
    expect(renderProgressLine({ nodesDone: 2, nodesTotal: 12, current: { label: "Load" } }, 4)).toBe(
      "[#---]   2/12 nodes  Load",
    );
  });
});

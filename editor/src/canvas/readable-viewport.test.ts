import { describe, expect, it } from "vitest";
import { readableViewport } from "./readable-viewport.ts";

describe("readableViewport", () => {
  it("centres a graph that fits sideways and starts it at the top, at its natural size at most", () => {
    // 400 × 200 in a 1000 × 600 view: zoom capped at 1, x = (1000 - 400) / 2 - 100, y = 32 - 50 (top, below the padding).
    expect(readableViewport({ x: 100, y: 50, width: 400, height: 200 }, { width: 1000, height: 600 })).toEqual({
      x: 200,
      y: -18,
      zoom: 1,
    });
  });

  it("zooms out to fit when the fit is still readable", () => {
    // Width limits: (1000 - 64) / 1040 = 0.9; the graph starts at the top padding.
    const v = readableViewport({ x: 0, y: 0, width: 1040, height: 300 }, { width: 1000, height: 600 });
    expect(v.zoom).toBeCloseTo(0.9, 10);
    expect(v.x).toBeCloseTo((1000 - 1040 * 0.9) / 2, 10);
    expect(v.y).toBeCloseTo(32, 10);
  });

  it("keeps a wide pipeline readable: minimum zoom, its top-left corner at the padding", () => {
    // The zero-shot example's extent (~1900 × 640 flow units) in the editor's ~930 × 730 canvas.
    const v = readableViewport({ x: -20, y: 10, width: 1900, height: 640 }, { width: 930, height: 730 });
    expect(v.zoom).toBe(0.8);
    expect(v.x).toBeCloseTo(32 + 20 * 0.8, 10); // flow x = -20 lands on screen x = 32
    expect(v.y).toBeCloseTo(32 - 10 * 0.8, 10);
  });

  it("starts from the top when the graph is too tall to fit readably", () => {
    const v = readableViewport(
      { x: 0, y: 100, width: 200, height: 3000 },
      { width: 1000, height: 600 },
      { minZoom: 0.5 },
    );
    expect(v.zoom).toBe(0.5);
    expect(v.y).toBeCloseTo(32 - 100 * 0.5, 10);
    expect(v.x).toBeCloseTo((1000 - 200 * 0.5) / 2, 10);
  });
});

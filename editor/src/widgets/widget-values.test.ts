import type { Widget } from "@infix/graph";
import { describe, expect, it } from "vitest";
import {
  acceptsFile,
  dragValue,
  formatNumber,
  parseNumberEntry,
  parseSeedEntry,
  roundToStep,
  stepValue,
} from "./widget-values.ts";

const steps: Extract<Widget, { kind: "INT" }> = { kind: "INT", default: 20, min: 1, max: 150, step: 1 };
const cfg: Extract<Widget, { kind: "FLOAT" }> = { kind: "FLOAT", default: 7.5, min: 0, max: 30, step: 0.1 };

describe("number entry", () => {
  it("accepts numbers inside the range", () => {
    expect(parseNumberEntry(steps, " 25 ")).toEqual({ ok: true, value: 25 });
    expect(parseNumberEntry(cfg, "1e1")).toEqual({ ok: true, value: 10 });
  });
  it("refuses values outside the range with the bound in the reason", () => {
    expect(parseNumberEntry(steps, "0")).toEqual({ ok: false, reason: "expected between 1 and 150, got 0" });
    expect(parseNumberEntry(cfg, "30.5")).toEqual({ ok: false, reason: "expected between 0 and 30, got 30.5" });
  });
  it("refuses text and fractions for integers", () => {
    expect(parseNumberEntry(steps, "abc").ok).toBe(false);
    expect(parseNumberEntry(steps, "").ok).toBe(false);
    expect(parseNumberEntry(steps, "2.5")).toEqual({ ok: false, reason: "expected an integer, got number 2.5" });
  });
});

describe("drag and rounding", () => {
  it("moves one step per 4 pixels and clamps to the range", () => {
    expect(dragValue(steps, 20, 40)).toBe(30);
    expect(dragValue(steps, 20, -3)).toBe(20);
    expect(dragValue(steps, 20, -1000)).toBe(1);
    expect(dragValue(cfg, 7.5, 12)).toBe(7.8);
    expect(dragValue(cfg, 29.9, 400)).toBe(30);
  });
  it("rounds floats to the step's decimals", () => {
    expect(roundToStep(cfg, 0.1 + 0.2)).toBe(0.3);
    expect(roundToStep(steps, 2.6)).toBe(3);
  });
});

describe("seed and file entry", () => {
  it("accepts whole seeds up to 2^53-1 only", () => {
    expect(parseSeedEntry("9007199254740991")).toEqual({ ok: true, value: 9007199254740991 });
    expect(parseSeedEntry("9007199254740993").ok).toBe(false);
    expect(parseSeedEntry("-1").ok).toBe(false);
    expect(parseSeedEntry("1.5").ok).toBe(false);
  });
  it("checks file extensions case-insensitively", () => {
    expect(acceptsFile([".png", ".jpg"], "DOG.PNG")).toBe(true);
    expect(acceptsFile([".png"], "dog.gif")).toBe(false);
  });
});

const size: Extract<Widget, { kind: "INT" }> = {
  kind: "INT",
  default: 0,
  min: 8,
  max: 2048,
  step: 8,
  special: { value: 0, label: "pack default" },
};

describe("a size widget with a step grid and a 'pack default' choice", () => {
  it("refuses 500 inline, as the range, naming the nearest multiples", () => {
    expect(parseNumberEntry(size, "500")).toEqual({
      ok: false,
      reason: "expected a multiple of 8 (496 or 504), got 500",
    });
    expect(parseNumberEntry(size, "504")).toEqual({ ok: true, value: 504 });
  });
  it("shows the special value by its label and takes the label or an empty entry back", () => {
    expect(formatNumber(size, 0)).toBe("pack default");
    expect(formatNumber(size, 512)).toBe("512");
    expect(parseNumberEntry(size, "")).toEqual({ ok: true, value: 0 });
    expect(parseNumberEntry(size, "Pack Default")).toEqual({ ok: true, value: 0 });
  });
  it("steps on the grid and falls back to the special value below the minimum", () => {
    expect(stepValue(size, 500, 1)).toBe(504);
    expect(stepValue(size, 500, -1)).toBe(496);
    expect(stepValue(size, 0, 1)).toBe(8);
    expect(stepValue(size, 8, -1)).toBe(0);
    expect(stepValue(size, 2048, 1)).toBe(2048);
  });
  it("drags onto the grid", () => {
    expect(dragValue(size, 500, 8) % 8).toBe(0);
  });
});

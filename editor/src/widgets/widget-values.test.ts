import type { Widget } from "@infix/graph";
import { describe, expect, it } from "vitest";
import { acceptsFile, dragValue, parseNumberEntry, parseSeedEntry, roundToStep } from "./widget-values.ts";

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

import { describe, expect, it } from "vitest";
import type { Widget } from "./node-schema.ts";
import { checkWidgetValue } from "./widget-value.ts";

const width: Widget = {
  kind: "INT",
  default: 0,
  min: 8,
  max: 2048,
  step: 8,
  special: { value: 0, label: "pack default" },
};

describe("checkWidgetValue on an INT widget with a step", () => {
  it("refuses a value off the step's grid and names the two nearest values", () => {
    expect(checkWidgetValue(width, 500)).toEqual({
      ok: false,
      code: "out_of_range",
      expected: "a multiple of 8 (496 or 504)",
      found: "500",
    });
  });

  it("accepts multiples of the step inside the range", () => {
    expect(checkWidgetValue(width, 504)).toEqual({ ok: true });
    expect(checkWidgetValue(width, 8)).toEqual({ ok: true });
  });

  it("reports the range before the step", () => {
    expect(checkWidgetValue(width, 4096)).toMatchObject({ ok: false, expected: "between 8 and 2048" });
  });

  it("accepts the special value although it lies below the minimum", () => {
    expect(checkWidgetValue(width, 0)).toEqual({ ok: true });
  });

  it("leaves fractional FLOAT steps as increments, not a grid", () => {
    expect(checkWidgetValue({ kind: "FLOAT", default: 1, min: 0, max: 10, step: 0.05 }, 0.123)).toEqual({ ok: true });
  });
});

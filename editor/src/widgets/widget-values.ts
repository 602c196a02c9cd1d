import { checkWidgetValue, type Literal, type Widget } from "@infix/graph";

/**
 * Pure rules for typed widget entry: parsing, range checks and drag stepping. The widget
 * components call these; the server validates again (validateWorkflow), this only keeps
 * the user from typing something the server would refuse.
 */

export type Parsed = { ok: true; value: Literal } | { ok: false; reason: string };

type NumberWidget = Extract<Widget, { kind: "INT" | "FLOAT" }>;

/** Parses typed text for a number widget; refuses non-numbers, fractions for INT, and out-of-range values (the graph core's `checkWidgetValue`). */
export function parseNumberEntry(widget: NumberWidget, text: string): Parsed {
  const trimmed = text.trim();
  if (trimmed === "" || !Number.isFinite(Number(trimmed))) return { ok: false, reason: `"${text}" is not a number` };
  return check(widget, Number(trimmed));
}

/** Parses a seed: a whole number in [0, 2^53). */
export function parseSeedEntry(text: string): Parsed {
  const trimmed = text.trim();
  if (trimmed === "" || !Number.isFinite(Number(trimmed))) return { ok: false, reason: `"${text}" is not a number` };
  return check({ kind: "SEED", default: 0 }, Number(trimmed));
}

function check(widget: Widget, value: number): Parsed {
  const result = checkWidgetValue(widget, value);
  return result.ok ? { ok: true, value } : { ok: false, reason: `expected ${result.expected}, got ${result.found}` };
}

/** The step a drag pixel or an arrow key moves the number: the schema's step, else 1 for INT and 0.01 for FLOAT. */
export function stepOf(widget: NumberWidget): number {
  return widget.step ?? (widget.kind === "INT" ? 1 : 0.01);
}

/**
 * The value after dragging `pixels` horizontally from `start` (one step per 4 px, so a
 * small hand tremor does not change the value), clamped to the range and snapped to the step.
 */
export function dragValue(widget: NumberWidget, start: number, pixels: number): number {
  const step = stepOf(widget);
  let value = start + Math.trunc(pixels / 4) * step;
  if (widget.min !== undefined) value = Math.max(widget.min, value);
  if (widget.max !== undefined) value = Math.min(widget.max, value);
  return roundToStep(widget, value);
}

/** Rounds to the step's decimal places so 0.1 + 0.2 shows as 0.3; INT values stay integers. */
export function roundToStep(widget: NumberWidget, value: number): number {
  if (widget.kind === "INT") return Math.round(value);
  const decimals = Math.min(10, (String(stepOf(widget)).split(".")[1] ?? "").length);
  return Number(value.toFixed(decimals));
}

/** Formats a number for display in its widget. */
export function formatNumber(widget: NumberWidget, value: number): string {
  return widget.kind === "INT" ? String(Math.round(value)) : String(roundToStep(widget, value));
}

/** Whether a file name has one of the widget's accepted extensions (case-insensitive). */
export function acceptsFile(accept: readonly string[], name: string): boolean {
  if (accept.length === 0) return true;
  const lower = name.toLowerCase();
  return accept.some((ext) => lower.endsWith(ext.toLowerCase()));
}

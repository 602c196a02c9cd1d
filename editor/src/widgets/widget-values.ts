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
  const special = widget.kind === "INT" ? widget.special : undefined;
  if (special && (trimmed === "" || trimmed.toLowerCase() === special.label.toLowerCase()))
    return { ok: true, value: special.value };
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
  if (widget.kind === "INT" && Number.isInteger(step) && step > 1 && value % step !== 0)
    value = Math.max(widget.min ?? -Infinity, Math.floor(value / step) * step);
  return roundToStep(widget, value);
}

/** Rounds to the step's decimal places so 0.1 + 0.2 shows as 0.3; INT values stay integers. */
export function roundToStep(widget: NumberWidget, value: number): number {
  if (widget.kind === "INT") return Math.round(value);
  const decimals = Math.min(10, (String(stepOf(widget)).split(".")[1] ?? "").length);
  return Number(value.toFixed(decimals));
}

/**
 * The value one arrow press away: on the step grid (500 + 8 → 504, not 508), clamped to the
 * range; below the minimum it falls to the widget's special value (e.g. "pack default") when there is one.
 */
export function stepValue(widget: NumberWidget, value: number, direction: 1 | -1): number {
  const step = stepOf(widget);
  const special = widget.kind === "INT" ? widget.special : undefined;
  const min = widget.min ?? -Infinity;
  const max = widget.max ?? Infinity;
  if (special && value === special.value) return direction > 0 ? Math.max(min, special.value + step) : value;
  const onGrid = widget.kind === "INT" && Number.isInteger(step) && step > 1;
  const next = onGrid
    ? direction > 0
      ? Math.floor(value / step) * step + step
      : Math.ceil(value / step) * step - step
    : roundToStep(widget, value + direction * step);
  if (next < min && special && special.value < min) return special.value;
  return Math.min(max, Math.max(min, next));
}

/** Formats a number for display in its widget: the special value's label (e.g. "pack default") instead of its number. */
export function formatNumber(widget: NumberWidget, value: number): string {
  if (widget.kind === "INT" && widget.special?.value === value) return widget.special.label;
  return widget.kind === "INT" ? String(Math.round(value)) : String(roundToStep(widget, value));
}

/** Whether a file name has one of the widget's accepted extensions (case-insensitive). */
export function acceptsFile(accept: readonly string[], name: string): boolean {
  if (accept.length === 0) return true;
  const lower = name.toLowerCase();
  return accept.some((ext) => lower.endsWith(ext.toLowerCase()));
}

import type { Widget } from "./node-schema.ts";
import type { Literal } from "./workflow.ts";

/**
 * Checks one literal against the widget it is typed into. Pure: no Node or DOM imports.
 * The editor uses it to mark a field as the user types; the validator to reject a workflow.
 */

export type WidgetCheck =
  | { ok: true }
  | {
      ok: false;
      code: "wrong_value_type" | "out_of_range" | "not_an_option" | "empty_string";
      expected: string;
      found: string;
    };

const OK: WidgetCheck = Object.freeze({ ok: true });
const MAX_SEED = Number.MAX_SAFE_INTEGER; // seeds live in [0, 2^53)

function describeLiteral(value: Literal): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function wrongType(expected: string, value: Literal): WidgetCheck {
  return {
    ok: false,
    code: "wrong_value_type",
    expected,
    found: `${value === null ? "null" : typeof value} ${describeLiteral(value)}`,
  };
}

function checkRange(value: number, min: number | undefined, max: number | undefined): WidgetCheck {
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    const expected =
      min !== undefined && max !== undefined
        ? `between ${min} and ${max}`
        : min !== undefined
          ? `at least ${min}`
          : `at most ${max}`;
    return { ok: false, code: "out_of_range", expected, found: String(value) };
  }
  return OK;
}

/** An INT widget's step is a grid: 500 with step 8 is refused with the two nearest values. */
function checkIntStep(value: number, step: number | undefined): WidgetCheck {
  if (step === undefined || !Number.isInteger(step) || step <= 1 || value % step === 0) return OK;
  const lower = Math.floor(value / step) * step;
  return {
    ok: false,
    code: "out_of_range",
    expected: `a multiple of ${step} (${lower} or ${lower + step})`,
    found: String(value),
  };
}

/**
 * Whether `value` is acceptable for `widget`: its kind, range, options and non-emptiness.
 *
 * @example checkWidgetValue({ kind: "INT", default: 1, min: 1, max: 10 }, 11)
 *   // { ok: false, code: "out_of_range", expected: "between 1 and 10", found: "11" }
 */
export function checkWidgetValue(widget: Widget, value: Literal): WidgetCheck {
  switch (widget.kind) {
    case "INT": {
      if (typeof value !== "number" || !Number.isInteger(value)) return wrongType("an integer", value);
      if (widget.special && value === widget.special.value) return OK;
      const range = checkRange(value, widget.min, widget.max);
      return range.ok ? checkIntStep(value, widget.step) : range;
    }
    case "FLOAT":
      if (typeof value !== "number" || !Number.isFinite(value)) return wrongType("a number", value);
      return checkRange(value, widget.min, widget.max);
    case "SEED":
      if (typeof value !== "number" || !Number.isInteger(value)) return wrongType("an integer seed", value);
      return checkRange(value, 0, MAX_SEED);
    case "BOOLEAN":
      return typeof value === "boolean" ? OK : wrongType("true or false", value);
    case "STRING":
      if (typeof value !== "string") return wrongType("text", value);
      if (widget.nonEmpty && value.trim() === "")
        return { ok: false, code: "empty_string", expected: "non-empty text", found: '""' };
      return OK;
    case "ENUM":
      if (typeof value !== "string") return wrongType("one of the listed options", value);
      if (!widget.options.includes(value)) {
        return {
          ok: false,
          code: "not_an_option",
          expected: widget.options.join(", ") || "(no options available)",
          found: value,
        };
      }
      return OK;
    case "FILE":
      if (typeof value !== "string") return wrongType("a file name", value);
      if (value.trim() === "")
        return { ok: false, code: "empty_string", expected: `a file from the ${widget.folder} folder`, found: '""' };
      return OK;
  }
}

/** For an input without a widget that still received a literal (via a bypassed node): does the primitive type fit? */
export function literalFitsType(type: string, value: Literal): boolean {
  switch (type) {
    case "INT":
      return typeof value === "number" && Number.isInteger(value);
    case "FLOAT":
      return typeof value === "number" && Number.isFinite(value);
    case "STRING":
      return typeof value === "string";
    case "BOOLEAN":
      return typeof value === "boolean";
    case "*":
      return true;
    default:
      return false;
  }
}

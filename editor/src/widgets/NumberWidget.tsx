import type { Widget } from "@infix/graph";
import { useRef, useState, type KeyboardEvent, type PointerEvent } from "react";
import { dragValue, formatNumber, parseNumberEntry, stepValue } from "./widget-values.ts";

type NumberSpec = Extract<Widget, { kind: "INT" | "FLOAT" }>;

export interface NumberWidgetProps {
  label: string;
  spec: NumberSpec;
  value: number;
  disabled?: boolean;
  onChange(value: number, coalesceKey: string): void;
}

/**
 * A number: drag sideways to scrub, click to type, arrows to step. Typed values outside
 * the schema's range are refused with the reason shown; scrubbing clamps to the range.
 */
export function NumberWidget({ label, spec, value, disabled, onChange }: NumberWidgetProps) {
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const drag = useRef<{ x: number; start: number; moved: boolean; key: string } | null>(null);

  const special = spec.kind === "INT" ? spec.special : undefined;
  const step = (direction: 1 | -1) => {
    const next = stepValue(spec, value, direction);
    if (next !== value) onChange(next, `step:${label}`);
  };
  const commit = (text: string) => {
    const parsed = parseNumberEntry(spec, text);
    if (!parsed.ok) {
      setError(parsed.reason);
      return;
    }
    setError(null);
    setEditing(null);
    onChange(parsed.value as number, `type:${label}:${Date.now()}`);
  };
  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Enter") commit(event.currentTarget.value);
    else if (event.key === "Escape") {
      setEditing(null);
      setError(null);
    }
    event.stopPropagation();
  };
  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    if (disabled || event.button !== 0) return;
    // Keep receiving moves when the pointer leaves the field mid-drag (absent in jsdom).
    event.currentTarget.setPointerCapture?.(event.pointerId);
    drag.current = { x: event.clientX, start: value, moved: false, key: `drag:${label}:${event.timeStamp}` };
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d) return;
    const dx = event.clientX - d.x;
    if (Math.abs(dx) >= 4) d.moved = true;
    if (d.moved) {
      const next = dragValue(spec, d.start, dx);
      if (next !== value) onChange(next, d.key);
    }
  };
  const onPointerUp = () => {
    const d = drag.current;
    drag.current = null;
    if (d && !d.moved) setEditing(editText());
  };
  /** The text the typing field starts with: the number, or empty for the special value (Enter keeps it). */
  const editText = () => (special?.value === value ? "" : formatNumber(spec, value));

  const grid = spec.kind === "INT" && spec.step && spec.step > 1 ? `, multiples of ${spec.step}` : "";
  const range = `${spec.min ?? "−∞"} … ${spec.max ?? "∞"}${grid}${special ? `; empty = ${special.label}` : ""}`;
  if (editing !== null) {
    return (
      <span className="number-widget number-widget--editing">
        <input
          className="nodrag"
          aria-label={label}
          aria-invalid={error !== null}
          autoFocus
          placeholder={special?.label}
          defaultValue={editing}
          onKeyDown={onKey}
          onBlur={(e) =>
            parseNumberEntry(spec, e.currentTarget.value).ok
              ? commit(e.currentTarget.value)
              : (setEditing(null), setError(null))
          }
          onChange={(e) => {
            const parsed = parseNumberEntry(spec, e.currentTarget.value);
            setError(parsed.ok ? null : parsed.reason);
          }}
        />
        {error && (
          <span className="widget-error" role="alert">
            {error}
          </span>
        )}
      </span>
    );
  }
  return (
    <span className={`number-widget${disabled ? " number-widget--disabled" : ""}`}>
      <button
        type="button"
        className="nodrag number-widget__step"
        aria-label={`decrease ${label}`}
        disabled={disabled}
        onClick={() => step(-1)}
      >
        ‹
      </button>
      <div
        className="nodrag number-widget__value"
        role="spinbutton"
        tabIndex={disabled ? -1 : 0}
        aria-label={label}
        aria-valuenow={value}
        aria-valuemin={spec.min}
        aria-valuemax={spec.max}
        aria-disabled={disabled}
        title={`Drag to change, click to type (${range})`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onKeyDown={(e) => {
          if (e.key === "ArrowUp" || e.key === "ArrowRight") step(1);
          else if (e.key === "ArrowDown" || e.key === "ArrowLeft") step(-1);
          else if (e.key === "Enter") setEditing(editText());
          else return;
          e.preventDefault();
          e.stopPropagation();
        }}
      >
        {formatNumber(spec, value)}
      </div>
      <button
        type="button"
        className="nodrag number-widget__step"
        aria-label={`increase ${label}`}
        disabled={disabled}
        onClick={() => step(1)}
      >
        ›
      </button>
    </span>
  );
}

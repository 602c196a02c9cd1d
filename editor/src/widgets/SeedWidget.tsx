import { useState } from "react";
import { MAX_SEED } from "../state/operations.ts";
import { parseSeedEntry } from "./widget-values.ts";

export type SeedControl = "fixed" | "randomize" | "increment";

export interface SeedWidgetProps {
  label: string;
  value: number;
  control: SeedControl;
  disabled?: boolean;
  onChange(value: number, coalesceKey: string): void;
  onControlChange(control: SeedControl): void;
}

/** A seed: typed entry, a dice button, and what happens to it after each queued run. */
export function SeedWidget({ label, value, control, disabled, onChange, onControlChange }: SeedWidgetProps) {
  const [text, setText] = useState<string | null>(null);
  const parsed = text === null ? null : parseSeedEntry(text);
  const commit = () => {
    if (parsed?.ok) onChange(parsed.value as number, `seed:${label}:${Date.now()}`);
    setText(null);
  };
  return (
    <span className="seed-widget">
      <input
        className="nodrag"
        aria-label={label}
        inputMode="numeric"
        disabled={disabled}
        aria-invalid={parsed !== null && !parsed.ok}
        title={parsed && !parsed.ok ? parsed.reason : "Seed"}
        value={text ?? String(value)}
        onChange={(e) => setText(e.currentTarget.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === "Enter") commit();
          if (e.key === "Escape") setText(null);
        }}
      />
      <button
        type="button"
        className="nodrag"
        aria-label={`new random ${label}`}
        title="New random seed"
        disabled={disabled}
        onClick={() => onChange(Math.floor(Math.random() * MAX_SEED), `seed:${label}:${Date.now()}`)}
      >
        {/* A die face from DejaVu/Noto Symbols, not the 🎲 emoji, which draws as a box where no colour-emoji font is installed. */}
        ⚄
      </button>
      <select
        className="nodrag"
        aria-label={`${label} after each run`}
        title="After each run"
        value={control}
        onChange={(e) => onControlChange(e.currentTarget.value as SeedControl)}
      >
        <option value="randomize">randomize</option>
        <option value="increment">increment</option>
        <option value="fixed">fixed</option>
      </select>
      {parsed && !parsed.ok && (
        <span className="widget-error" role="alert">
          {parsed.reason}
        </span>
      )}
    </span>
  );
}

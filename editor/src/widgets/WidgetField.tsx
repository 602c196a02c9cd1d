import type { Literal, Widget } from "@infix/graph";
import { FileWidget } from "./FileWidget.tsx";
import { NumberWidget } from "./NumberWidget.tsx";
import { SeedWidget, type SeedControl } from "./SeedWidget.tsx";

export interface WidgetFieldProps {
  label: string;
  spec: Widget;
  /** The input's literal value; undefined when left out (the default applies). */
  value: Literal | undefined;
  disabled?: boolean;
  seedControl?: SeedControl;
  onChange(value: Literal, coalesceKey: string): void;
  onSeedControlChange?(control: SeedControl): void;
}

/** The one widget component: dispatches on the schema's widget kind. */
export function WidgetField(props: WidgetFieldProps) {
  const { label, spec, disabled, onChange } = props;
  const value = props.value ?? spec.default;
  switch (spec.kind) {
    case "INT":
    case "FLOAT":
      return (
        <NumberWidget
          label={label}
          spec={spec}
          value={typeof value === "number" ? value : spec.default}
          disabled={disabled}
          onChange={onChange}
        />
      );
    case "SEED":
      return (
        <SeedWidget
          label={label}
          value={typeof value === "number" ? value : spec.default}
          control={props.seedControl ?? "randomize"}
          disabled={disabled}
          onChange={onChange}
          onControlChange={(c) => props.onSeedControlChange?.(c)}
        />
      );
    case "STRING": {
      const text = typeof value === "string" ? value : "";
      const common = {
        className: "nodrag nowheel",
        "aria-label": label,
        placeholder: spec.placeholder,
        disabled,
        value: text,
        "aria-invalid": spec.nonEmpty === true && text.trim() === "",
        onKeyDown: (e: { stopPropagation(): void }) => e.stopPropagation(),
      };
      return spec.multiline ? (
        <textarea {...common} rows={3} onChange={(e) => onChange(e.currentTarget.value, `text:${label}`)} />
      ) : (
        <input {...common} onChange={(e) => onChange(e.currentTarget.value, `text:${label}`)} />
      );
    }
    case "BOOLEAN":
      return (
        <input
          type="checkbox"
          className="nodrag"
          role="switch"
          aria-label={label}
          disabled={disabled}
          checked={value === true}
          onChange={(e) => onChange(e.currentTarget.checked, `toggle:${label}:${Date.now()}`)}
        />
      );
    case "ENUM":
      return (
        <select
          className="nodrag"
          aria-label={label}
          disabled={disabled}
          value={String(value)}
          onChange={(e) => onChange(e.currentTarget.value, `enum:${label}:${Date.now()}`)}
        >
          {!spec.options.includes(String(value)) && (
            <option value={String(value)}>{String(value)} (unavailable)</option>
          )}
          {spec.options.map((o) => (
            <option key={o} value={o}>
              {spec.labels?.[o] ?? o}
            </option>
          ))}
        </select>
      );
    case "FILE":
      return (
        <FileWidget
          label={label}
          spec={spec}
          value={typeof value === "string" ? value : ""}
          disabled={disabled}
          onChange={onChange}
        />
      );
    default:
      return <span className="widget-unknown">unsupported widget</span>;
  }
}

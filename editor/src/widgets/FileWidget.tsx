import type { Widget } from "@infix/graph";
import { useState } from "react";
import { fileUrl } from "../api/client.ts";
import { useStudio } from "../state/react.ts";
import { acceptsFile } from "./widget-values.ts";

type FileSpec = Extract<Widget, { kind: "FILE" }>;

export interface FileWidgetProps {
  label: string;
  spec: FileSpec;
  value: string;
  disabled?: boolean;
  onChange(value: string, coalesceKey: string): void;
}

/** A file in one of the server's folders: upload (POST /api/uploads) and a thumbnail of the chosen picture. */
export function FileWidget({ label, spec, value, disabled, onChange }: FileWidgetProps) {
  const studio = useStudio();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const isImage = /\.(png|jpe?g|webp|gif)$/i.test(value);
  const upload = async (file: File) => {
    if (!acceptsFile(spec.accept, file.name)) {
      setError(`${file.name}: expected ${spec.accept.join(", ")}`);
      return;
    }
    setBusy(true);
    const r = await studio.api.upload(file.name, file);
    setBusy(false);
    if (!r.ok) setError(r.error.message);
    else {
      setError(null);
      studio.succeeded();
      onChange(r.value.file.name, `file:${label}:${Date.now()}`);
    }
  };
  return (
    <span className="file-widget">
      <input
        className="nodrag"
        aria-label={label}
        value={value}
        disabled={disabled}
        placeholder={spec.directory ? "folder name" : "file name"}
        onChange={(e) => onChange(e.currentTarget.value, `file:${label}`)}
        onKeyDown={(e) => e.stopPropagation()}
      />
      {!spec.directory && (
        <label
          className={`nodrag file-widget__upload${disabled ? " is-disabled" : ""}`}
          title={`Upload (${spec.accept.join(", ")})`}
        >
          {busy ? "…" : "Upload"}
          <input
            type="file"
            aria-label={`upload ${label}`}
            accept={spec.accept.join(",")}
            disabled={disabled || busy}
            hidden
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) void upload(file);
            }}
          />
        </label>
      )}
      {isImage && value && (
        <img
          className="file-widget__thumb"
          alt={`${label}: ${value}`}
          src={fileUrl({ folder: spec.folder, name: value })}
        />
      )}
      {error && (
        <span className="widget-error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

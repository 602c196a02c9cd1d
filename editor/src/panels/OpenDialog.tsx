import type { SavedWorkflowInfo, WorkflowVersionInfo } from "@infix/protocol";
import { useEffect, useState } from "react";
import { useStudio } from "../state/react.ts";
import { Modal } from "./Modal.tsx";

/** Saved workflows on the server, each with its versions to restore. */
export function OpenDialog({ onClose }: { onClose(): void }) {
  const studio = useStudio();
  const [saved, setSaved] = useState<SavedWorkflowInfo[] | null>(null);
  const [versions, setVersions] = useState<{ name: string; list: WorkflowVersionInfo[] } | null>(null);
  useEffect(() => {
    void studio.api
      .workflows()
      .then((r) => (r.ok ? setSaved(r.value.workflows) : studio.notify("error", r.error.message)));
  }, [studio]);
  const showVersions = async (name: string) => {
    const r = await studio.api.workflowVersions(name);
    if (r.ok) setVersions({ name, list: r.value.versions });
  };
  return (
    <Modal label="Open workflow" title="Open a saved workflow" onClose={onClose}>
      {saved === null && <p className="muted">Loading…</p>}
      {saved?.length === 0 && <p className="muted">Nothing saved yet.</p>}
      <ul className="saved-list">
        {saved?.map((w) => (
          <li key={w.name}>
            <button
              type="button"
              data-saved={w.name}
              onClick={() => {
                void studio.openSaved(w.name);
                onClose();
              }}
            >
              {w.name}
            </button>
            <span className="muted">
              {w.versions} version{w.versions === 1 ? "" : "s"} · {new Date(w.updatedAt).toLocaleString()}
            </span>
            <button type="button" className="small" onClick={() => void showVersions(w.name)}>
              Versions
            </button>
          </li>
        ))}
      </ul>
      {versions && (
        <ul className="saved-list" aria-label={`Versions of ${versions.name}`}>
          {versions.list.map((v) => (
            <li key={v.version}>
              <button
                type="button"
                onClick={() => {
                  void studio.openSaved(versions.name, v.version);
                  onClose();
                }}
              >
                Restore version {v.version}
              </button>
              <span className="muted">
                {new Date(v.savedAt).toLocaleString()} · {v.bytes} bytes
              </span>
            </li>
          ))}
        </ul>
      )}
    </Modal>
  );
}

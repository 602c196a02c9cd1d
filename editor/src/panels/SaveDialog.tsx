import { useState } from "react";
import { useStudio, useStudioState } from "../state/react.ts";
import { Modal } from "./Modal.tsx";

/** Asks for the name to save the active workflow under (the first save, or "Save as…"). */
export function SaveDialog() {
  const studio = useStudio();
  const request = useStudioState((s) => s.saveDialog);
  if (!request) return null;
  return <SaveForm key={request.suggestion} suggestion={request.suggestion} onDone={() => studio.askSaveName(null)} />;
}

function SaveForm({ suggestion, onDone }: { suggestion: string; onDone(): void }) {
  const studio = useStudio();
  const [name, setName] = useState(suggestion);
  const [busy, setBusy] = useState(false);
  const trimmed = name.trim();
  const submit = async () => {
    if (!trimmed || busy) return;
    setBusy(true);
    const saved = await studio.save(trimmed);
    setBusy(false);
    if (saved) onDone();
  };
  return (
    <Modal label="Save workflow" title="Save workflow" onClose={onDone}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label>
          Name
          <input
            autoFocus
            aria-label="Workflow name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            onFocus={(e) => e.currentTarget.select()}
            onKeyDown={(e) => e.key !== "Escape" && e.stopPropagation()}
          />
        </label>
        <div className="modal__actions">
          <button type="submit" className="primary" disabled={!trimmed || busy}>
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

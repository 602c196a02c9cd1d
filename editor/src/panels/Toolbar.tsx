import { serializeWorkflow } from "@infix/graph";
import type { ExampleInfo } from "@infix/protocol";
import { useRef, useState } from "react";
import { useStore } from "zustand";
import { useReactFlow } from "@xyflow/react";
import { addGroup, addNote } from "../state/annotations.ts";
import { useStudio, useTab } from "../state/react.ts";
import { tabTitle } from "../state/tabs.ts";
import { OpenDialog } from "./OpenDialog.tsx";

/** Queue, undo/redo, the workflow menu (new/open/save/save as/download/upload), examples and help. */
export function Toolbar({ onHelp }: { onHelp(): void }) {
  const studio = useStudio();
  const tab = useTab();
  const canUndo = useStore(tab.doc, (s) => s.history.past.length > 0);
  const canRedo = useStore(tab.doc, (s) => s.history.future.length > 0);
  const [examples, setExamples] = useState<ExampleInfo[] | null>(null);
  const [openDialog, setOpenDialog] = useState(false);
  const upload = useRef<HTMLInputElement>(null);
  const flow = useReactFlow();
  const viewCentre = () => {
    const canvas = document.querySelector(".canvas")?.getBoundingClientRect();
    const p = flow.screenToFlowPosition(
      canvas ? { x: canvas.left + canvas.width / 2, y: canvas.top + canvas.height / 2 } : { x: 400, y: 300 },
    );
    return { x: Math.round(p.x), y: Math.round(p.y) };
  };

  const toggleExamples = async () => {
    if (examples) return setExamples(null);
    const r = await studio.api.examples();
    if (r.ok) setExamples(r.value.examples);
    else studio.notify("error", r.error.message);
  };

  return (
    <header className="toolbar">
      <span className="toolbar__brand">Infix</span>
      <button
        type="button"
        className="primary"
        onClick={() => void studio.queue()}
        title="Queue the workflow (Ctrl+Enter)"
        data-testid="queue-button"
      >
        Queue
      </button>
      <button type="button" onClick={() => tab.doc.getState().undo()} disabled={!canUndo} title="Undo (Ctrl+Z)">
        Undo
      </button>
      <button type="button" onClick={() => tab.doc.getState().redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">
        Redo
      </button>
      <span className="toolbar__sep" />
      <button type="button" onClick={() => studio.newTab()}>
        New
      </button>
      <button type="button" onClick={() => setOpenDialog(true)}>
        Open…
      </button>
      <button type="button" onClick={() => void saveActive(studio, false)} title="Save (Ctrl+S)">
        Save
      </button>
      <button type="button" onClick={() => void saveActive(studio, true)}>
        Save as…
      </button>
      <button
        type="button"
        onClick={() =>
          downloadWorkflow(
            tab.doc.getState().workflow,
            tabTitle(tab.doc.getState().workflow, tab.doc.getState().savedName),
          )
        }
      >
        Download
      </button>
      <button type="button" onClick={() => upload.current?.click()} title="Open a workflow JSON or a PNG made by Infix">
        Upload…
      </button>
      <input
        ref={upload}
        type="file"
        hidden
        accept=".json,application/json,.png,image/png"
        aria-label="Upload a workflow file"
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          if (file) void studio.openFile(file);
          e.currentTarget.value = "";
        }}
      />
      <button
        type="button"
        onClick={() => tab.doc.getState().apply("add note", (d) => void addNote(d, viewCentre()))}
        title="Add a note at the centre of the view"
      >
        Note
      </button>
      <button
        type="button"
        onClick={() => tab.doc.getState().apply("add group", (d) => void addGroup(d, viewCentre()))}
        title="Add a group frame at the centre of the view"
      >
        Group
      </button>
      <span className="menu">
        <button
          type="button"
          aria-haspopup="menu"
          aria-expanded={examples !== null}
          onClick={() => void toggleExamples()}
        >
          Examples ▾
        </button>
        {examples && (
          <div className="menu__list" role="menu" aria-label="Examples">
            {examples.length === 0 && <span className="muted">No examples on this server.</span>}
            {examples.map((ex) => (
              <button
                type="button"
                role="menuitem"
                key={ex.name}
                title={ex.description}
                data-example={ex.name}
                onClick={() => {
                  setExamples(null);
                  void studio.openExample(ex.name);
                }}
              >
                {ex.title}
              </button>
            ))}
          </div>
        )}
      </span>
      <span className="toolbar__spacer" />
      <button type="button" onClick={onHelp} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">
        ?
      </button>
      {openDialog && <OpenDialog onClose={() => setOpenDialog(false)} />}
    </header>
  );
}

/** Save (asks for a name in the studio's dialog the first time, or always with "save as"). */
export async function saveActive(studio: ReturnType<typeof useStudio>, saveAs: boolean): Promise<void> {
  const doc = studio.tab.doc.getState();
  const name = saveAs ? undefined : doc.savedName;
  if (name) await studio.save(name);
  else studio.askSaveName(doc.savedName ?? doc.workflow.name ?? "my-workflow");
}

export function downloadWorkflow(workflow: Parameters<typeof serializeWorkflow>[0], title: string): void {
  const blob = new Blob([serializeWorkflow(workflow)], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${title.replace(/[^\w.-]+/g, "_") || "workflow"}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

import type { Workflow } from "@infix/graph";
import { createStore, type StoreApi } from "zustand/vanilla";
import { createHistory, edit, redo, undo, type EditOptions, type History } from "./history.ts";

/**
 * One open workflow tab's document: the Workflow v1 itself (nodes, values, editor layout)
 * with its undo history, plus view state that is not part of the document (selection,
 * measured node sizes). Live job state lives elsewhere (live-store.ts).
 */

export interface Size {
  width: number;
  height: number;
}

export interface DocumentState {
  history: History<Workflow>;
  /** Same object as history.present, for selectors. */
  workflow: Workflow;
  /** The workflow as last saved or loaded: the tab is dirty when the present differs from it. */
  savedWorkflow: Workflow;
  /** Name under which the server keeps it (PUT /api/workflows/:name), when saved there. */
  savedName?: string;
  selection: ReadonlySet<string>;
  measured: Readonly<Record<string, Size>>;

  apply(label: string, recipe: (draft: Workflow) => void, options?: EditOptions): void;
  undo(): void;
  redo(): void;
  /** Replaces the document (open, restore); clears history; the loaded state counts as saved unless `dirty`. */
  load(workflow: Workflow, options?: { savedName?: string; dirty?: boolean }): void;
  markSaved(savedName?: string): void;
  select(ids: Iterable<string>): void;
  setMeasured(sizes: Record<string, Size>): void;
}

export type DocumentStore = StoreApi<DocumentState>;

/** Creates a tab's store. Example: `const doc = createDocumentStore(emptyWorkflow()); doc.getState().apply("add", d => ...)`. */
export function createDocumentStore(initial: Workflow, options: { savedName?: string; dirty?: boolean } = {}): DocumentStore {
  return createStore<DocumentState>()((set, get) => ({
    history: createHistory(initial),
    workflow: initial,
    savedWorkflow: options.dirty ? ({} as Workflow) : initial,
    savedName: options.savedName,
    selection: new Set(),
    measured: {},

    apply(label, recipe, editOptions) {
      const history = edit(get().history, label, recipe, editOptions);
      if (history === get().history) return;
      set({ history, workflow: history.present, selection: pruneSelection(get().selection, history.present) });
    },
    undo() {
      const history = undo(get().history);
      set({ history, workflow: history.present, selection: pruneSelection(get().selection, history.present) });
    },
    redo() {
      const history = redo(get().history);
      set({ history, workflow: history.present, selection: pruneSelection(get().selection, history.present) });
    },
    load(workflow, loadOptions = {}) {
      const history = createHistory(workflow);
      set({
        history,
        workflow,
        savedWorkflow: loadOptions.dirty ? ({} as Workflow) : workflow,
        savedName: loadOptions.savedName,
        selection: new Set(),
        measured: {},
      });
    },
    markSaved(savedName) {
      set({ savedWorkflow: get().workflow, savedName: savedName ?? get().savedName });
    },
    select(ids) {
      set({ selection: new Set(ids) });
    },
    setMeasured(sizes) {
      set({ measured: { ...get().measured, ...sizes } });
    },
  }));
}

function pruneSelection(selection: ReadonlySet<string>, workflow: Workflow): ReadonlySet<string> {
  for (const id of selection) if (!workflow.nodes[id]) return new Set([...selection].filter((s) => workflow.nodes[s]));
  return selection;
}

export function isDirty(state: Pick<DocumentState, "workflow" | "savedWorkflow">): boolean {
  return state.workflow !== state.savedWorkflow;
}

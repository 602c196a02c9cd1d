import type { Workflow } from "@infix/graph";
import { produce } from "immer";
import { createStore, type StoreApi } from "zustand/vanilla";
import { createHistory, edit, presentId, redo, undo, type EditOptions, type History } from "./history.ts";

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
  /** History step id of the last saved or loaded state (-1: never saved); the tab is dirty when the present is another step. */
  savedAt: number;
  /** Name under which the server keeps it (PUT /api/workflows/:name), when saved there. */
  savedName?: string;
  selection: ReadonlySet<string>;
  measured: Readonly<Record<string, Size>>;
  /** How many times the document was replaced by `load`: the canvas starts afresh (new first view) on each. */
  loads: number;

  apply(label: string, recipe: (draft: Workflow) => void, options?: EditOptions): void;
  undo(): void;
  redo(): void;
  /** Replaces the document (open, restore); clears history; the loaded state counts as saved unless `dirty`. */
  load(workflow: Workflow, options?: { savedName?: string; dirty?: boolean }): void;
  markSaved(savedName?: string): void;
  select(ids: Iterable<string>): void;
  setMeasured(sizes: Record<string, Size>): void;
  /** Remembers the view in the document (saved with it) without an undo step or marking it unsaved. */
  setViewport(viewport: Viewport): void;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export type DocumentStore = StoreApi<DocumentState>;

/** Creates a tab's store. Example: `const doc = createDocumentStore(emptyWorkflow()); doc.getState().apply("add", d => ...)`. */
export function createDocumentStore(
  initial: Workflow,
  options: { savedName?: string; dirty?: boolean } = {},
): DocumentStore {
  return createStore<DocumentState>()((set, get) => ({
    history: createHistory(initial),
    workflow: initial,
    savedAt: options.dirty ? -1 : 0,
    savedName: options.savedName,
    selection: new Set(),
    measured: {},
    loads: 0,

    apply(label, recipe, editOptions) {
      const history = edit(get().history, label, recipe, editOptions);
      if (history === get().history) return;
      set(present(get(), history));
    },
    undo() {
      set(present(get(), undo(get().history)));
    },
    redo() {
      set(present(get(), redo(get().history)));
    },
    load(workflow, loadOptions = {}) {
      const history = createHistory(workflow);
      set({
        history,
        workflow,
        savedAt: loadOptions.dirty ? -1 : 0,
        savedName: loadOptions.savedName,
        selection: new Set(),
        measured: {},
        loads: get().loads + 1,
      });
    },
    markSaved(savedName) {
      set({ savedAt: presentId(get().history), savedName: savedName ?? get().savedName });
    },
    select(ids) {
      set({ selection: new Set(ids) });
    },
    setMeasured(sizes) {
      set({ measured: { ...get().measured, ...sizes } });
    },
    setViewport(viewport) {
      const { history } = get();
      // Undo patches address paths, so they still apply to a present whose viewport changed.
      const present = produce(history.present, (d) => {
        d.editor ??= { nodes: {}, groups: [], notes: [] };
        d.editor.viewport = { x: viewport.x, y: viewport.y, zoom: viewport.zoom };
      });
      set({ history: { ...history, present }, workflow: present });
    },
  }));
}

/** The state after a history move; view state of nodes that no longer exist is dropped. */
function present(state: DocumentState, history: History<Workflow>): Partial<DocumentState> {
  return {
    history,
    workflow: history.present,
    selection: pruneSelection(state.selection, history.present),
    measured: pruneMeasured(state.measured, history.present),
  };
}

/**
 * A node that comes back (undo of a delete) must be measured afresh: React Flow computes
 * handle positions only when it measures, and a stale size would make it skip that.
 */
function pruneMeasured(measured: Readonly<Record<string, Size>>, workflow: Workflow): Readonly<Record<string, Size>> {
  for (const id in measured)
    if (!workflow.nodes[id]) return Object.fromEntries(Object.entries(measured).filter(([k]) => workflow.nodes[k]));
  return measured;
}

function pruneSelection(selection: ReadonlySet<string>, workflow: Workflow): ReadonlySet<string> {
  for (const id of selection) if (!workflow.nodes[id]) return new Set([...selection].filter((s) => workflow.nodes[s]));
  return selection;
}

export function isDirty(state: Pick<DocumentState, "history" | "savedAt">): boolean {
  return presentId(state.history) !== state.savedAt;
}

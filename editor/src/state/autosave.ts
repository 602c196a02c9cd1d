import type { Workflow } from "@infix/graph";
import { isDirty } from "./document-store.ts";
import { loadWorkflowJson } from "./load-workflow.ts";
import type { StudioStore } from "./studio-store.ts";
import { createTab, type Tab } from "./tabs.ts";

/**
 * Autosave of every open tab to localStorage, restored on reload: the documents, which
 * were unsaved, their saved names and the active tab. Undo history is not kept.
 */

export const AUTOSAVE_KEY = "infix.autosave.v1";

interface SavedTab {
  workflow: Workflow;
  savedName?: string;
  dirty: boolean;
}

interface Snapshot {
  tabs: SavedTab[];
  active: number;
}

export function snapshot(tabs: readonly Tab[], activeTabId: string): string {
  const data: Snapshot = {
    tabs: tabs.map((t) => {
      const s = t.doc.getState();
      return { workflow: s.workflow, savedName: s.savedName, dirty: isDirty(s) };
    }),
    active: Math.max(
      0,
      tabs.findIndex((t) => t.id === activeTabId),
    ),
  };
  return JSON.stringify(data);
}

/** Tabs rebuilt from a snapshot; tabs whose workflow no longer parses are skipped. */
export function restore(text: string | null): { tabs: Tab[]; active: number } | undefined {
  if (!text) return undefined;
  let data: Snapshot;
  try {
    data = JSON.parse(text) as Snapshot;
  } catch {
    return undefined;
  }
  if (!Array.isArray(data.tabs)) return undefined;
  const tabs: Tab[] = [];
  for (const saved of data.tabs) {
    const loaded = loadWorkflowJson(saved.workflow);
    if (loaded.ok) tabs.push(createTab(loaded.workflow, { savedName: saved.savedName, dirty: saved.dirty }));
  }
  if (tabs.length === 0) return undefined;
  return { tabs, active: Math.min(Math.max(0, data.active | 0), tabs.length - 1) };
}

/** Restores the last session into the studio, then saves on every change (debounced). Returns a stop function. */
export function startAutosave(store: StudioStore, storage: Storage, delayMs = 400): () => void {
  const restored = restore(storage.getItem(AUTOSAVE_KEY));
  if (restored) store.setState({ tabs: restored.tabs, activeTabId: restored.tabs[restored.active].id });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    timer = undefined;
    const { tabs, activeTabId } = store.getState();
    try {
      storage.setItem(AUTOSAVE_KEY, snapshot(tabs, activeTabId));
    } catch {
      // Storage full or disabled: autosave is a convenience, the server copy is the record.
    }
  };
  const schedule = () => {
    if (timer === undefined) timer = setTimeout(save, delayMs);
  };
  let tabSubscriptions: (() => void)[] = [];
  const watchTabs = () => {
    tabSubscriptions.forEach((stop) => stop());
    tabSubscriptions = store
      .getState()
      .tabs.map((t) =>
        t.doc.subscribe(
          (s, prev) =>
            (s.workflow !== prev.workflow || s.savedAt !== prev.savedAt || s.savedName !== prev.savedName) &&
            schedule(),
        ),
      );
  };
  watchTabs();
  const stopStudio = store.subscribe((s, prev) => {
    if (s.tabs !== prev.tabs) watchTabs();
    if (s.tabs !== prev.tabs || s.activeTabId !== prev.activeTabId) schedule();
  });
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    save();
  };
  globalThis.addEventListener?.("beforeunload", flush);
  return () => {
    flush();
    stopStudio();
    tabSubscriptions.forEach((stop) => stop());
    globalThis.removeEventListener?.("beforeunload", flush);
  };
}

import { applyPatches, enablePatches, produceWithPatches, type Patch } from "immer";

enablePatches();

/**
 * Undo/redo over immer patches. Edits that share a coalesce key and follow each other
 * within `coalesceMs` merge into one step, so a whole drag or a burst of typing undoes at once.
 */

export interface HistoryEntry {
  /** Unique per step (a merged step gets a new one), so "is this the saved state?" is an id comparison. */
  id: number;
  label: string;
  key?: string;
  at: number;
  patches: Patch[];
  inverse: Patch[];
}

export interface History<T> {
  present: T;
  past: HistoryEntry[];
  future: HistoryEntry[];
}

export interface EditOptions {
  /** Edits with the same key within `coalesceMs` of the previous one merge into one undo step. */
  coalesceKey?: string;
  now?: number;
}

export const COALESCE_MS = 1000;
let nextEntryId = 1;
/** Oldest steps are forgotten beyond this many. */
export const HISTORY_LIMIT = 200;

export function createHistory<T>(present: T): History<T> {
  return { present, past: [], future: [] };
}

/** Applies `recipe` to the present state, recording an undo step; unchanged states record nothing. */
export function edit<T>(
  history: History<T>,
  label: string,
  recipe: (draft: T) => void,
  options: EditOptions = {},
): History<T> {
  const [next, patches, inverse] = produceWithPatches(history.present, (draft) => {
    recipe(draft as T);
  });
  if (patches.length === 0) return history;
  const now = options.now ?? Date.now();
  const top = history.past[history.past.length - 1];
  if (top && options.coalesceKey !== undefined && top.key === options.coalesceKey && now - top.at <= COALESCE_MS) {
    // Merged step: redo replays both in order; undo reverts the newer edit first.
    const merged: HistoryEntry = {
      id: nextEntryId++,
      label: top.label,
      key: top.key,
      at: now,
      ...mergePatches(top, patches, inverse),
    };
    return { present: next as T, past: [...history.past.slice(0, -1), merged], future: [] };
  }
  const entry: HistoryEntry = { id: nextEntryId++, label, key: options.coalesceKey, at: now, patches, inverse };
  const past = [...history.past, entry];
  return { present: next as T, past: past.length > HISTORY_LIMIT ? past.slice(-HISTORY_LIMIT) : past, future: [] };
}

/**
 * Joins a step with the edit that extends it. When both only replace values at paths of one
 * depth (a drag: positions; typing: one input), later values win and the step stays the size
 * of one frame's patches instead of growing with every frame.
 */
function mergePatches(top: HistoryEntry, patches: Patch[], inverse: Patch[]): { patches: Patch[]; inverse: Patch[] } {
  const all = [...top.patches, ...patches, ...top.inverse, ...inverse];
  const depth = all[0]?.path.length;
  if (!all.every((p) => p.op === "replace" && p.path.length === depth)) {
    return { patches: [...top.patches, ...patches], inverse: [...inverse, ...top.inverse] };
  }
  const key = (p: Patch) => JSON.stringify(p.path);
  const forward = new Map<string, Patch>();
  for (const p of [...top.patches, ...patches]) forward.set(key(p), p); // the last value wins
  const backward = new Map<string, Patch>();
  for (const p of [...top.inverse, ...inverse]) if (!backward.has(key(p))) backward.set(key(p), p); // the oldest value wins
  return { patches: [...forward.values()], inverse: [...backward.values()] };
}

/** Id of the step that produced the present state; 0 for the state the history started from. */
export function presentId(history: History<unknown>): number {
  return history.past[history.past.length - 1]?.id ?? 0;
}

export function undo<T>(history: History<T>): History<T> {
  const entry = history.past[history.past.length - 1];
  if (!entry) return history;
  return {
    present: applyPatches(history.present as object, entry.inverse) as T,
    past: history.past.slice(0, -1),
    future: [entry, ...history.future],
  };
}

export function redo<T>(history: History<T>): History<T> {
  const entry = history.future[0];
  if (!entry) return history;
  // A redone step never merges with the next edit.
  const replayed = { ...entry, key: undefined };
  return {
    present: applyPatches(history.present as object, entry.patches) as T,
    past: [...history.past, replayed],
    future: history.future.slice(1),
  };
}

import { emptyWorkflow } from "@infix/graph";
import { describe, expect, it, vi } from "vitest";
import { AUTOSAVE_KEY, restore, snapshot, startAutosave } from "./autosave.ts";
import { isDirty } from "./document-store.ts";
import { addNode } from "./operations.ts";
import { createStudioStore } from "./studio-store.ts";
import { createTab } from "./tabs.ts";
import { sampler } from "./test-catalog.ts";

class MemoryStorage implements Pick<Storage, "getItem" | "setItem"> {
  data = new Map<string, string>();
  getItem(key: string) {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.data.set(key, value);
  }
}

describe("autosave", () => {
  it("round-trips tabs with their dirty flags, saved names and the active tab", () => {
    const saved = createTab(emptyWorkflow(), { savedName: "kept" });
    const scratch = createTab();
    scratch.doc.getState().apply("add", (d) => void addNode(d, sampler, { x: 1, y: 2 }));
    const back = restore(snapshot([saved, scratch], scratch.id))!;
    expect(back.active).toBe(1);
    expect(back.tabs.map((t) => t.doc.getState().savedName)).toEqual(["kept", undefined]);
    expect(back.tabs.map((t) => isDirty(t.doc.getState()))).toEqual([false, true]);
    expect(back.tabs[1].doc.getState().workflow).toEqual(scratch.doc.getState().workflow);
  });

  it("ignores garbage and skips tabs that are not workflows", () => {
    expect(restore("{not json")).toBeUndefined();
    expect(restore(JSON.stringify({ tabs: [{ workflow: { format: "nope" } }], active: 0 }))).toBeUndefined();
  });

  it("writes after an edit, debounced, and restores into a fresh studio", () => {
    vi.useFakeTimers();
    const storage = new MemoryStorage();
    const store = createStudioStore();
    const stop = startAutosave(store, storage as unknown as Storage, 100);
    store
      .getState()
      .tabs[0].doc.getState()
      .apply("add", (d) => void addNode(d, sampler, { x: 0, y: 0 }));
    expect(storage.getItem(AUTOSAVE_KEY)).toBeNull();
    vi.advanceTimersByTime(150);
    expect(storage.getItem(AUTOSAVE_KEY)).toContain('"Sampler"');
    stop();
    vi.useRealTimers();

    const next = createStudioStore();
    const stopNext = startAutosave(next, storage as unknown as Storage);
    expect(Object.values(next.getState().tabs[0].doc.getState().workflow.nodes).map((n) => n.type)).toEqual([
      "Sampler",
    ]);
    stopNext();
  });
});

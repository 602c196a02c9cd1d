import { describe, expect, it } from "vitest";
import { COALESCE_MS, createHistory, edit, redo, undo } from "./history.ts";

interface Doc {
  x: number;
  items: string[];
}

describe("history", () => {
  it("undoes and redoes an edit through immer patches", () => {
    let h = createHistory<Doc>({ x: 1, items: [] });
    h = edit(h, "set x", (d) => void (d.x = 2));
    h = edit(h, "push", (d) => void d.items.push("a"));
    expect(h.present).toEqual({ x: 2, items: ["a"] });
    h = undo(h);
    expect(h.present).toEqual({ x: 2, items: [] });
    h = undo(h);
    expect(h.present).toEqual({ x: 1, items: [] });
    h = undo(h); // nothing left: unchanged
    expect(h.present).toEqual({ x: 1, items: [] });
    h = redo(h);
    h = redo(h);
    expect(h.present).toEqual({ x: 2, items: ["a"] });
  });

  it("coalesces edits with one key inside the time window into one step", () => {
    let h = createHistory<Doc>({ x: 0, items: [] });
    for (let i = 1; i <= 5; i++)
      h = edit(h, "drag", (d) => void (d.x = i), { coalesceKey: "drag-1", now: 1000 + i * 10 });
    expect(h.past).toHaveLength(1);
    h = undo(h);
    expect(h.present.x).toBe(0);
    h = redo(h);
    expect(h.present.x).toBe(5);
  });

  it("keeps a long coalesced drag as small as one frame's patches", () => {
    let h = createHistory({ nodes: { a: { position: { x: 0, y: 0 } }, b: { position: { x: 5, y: 5 } } } });
    for (let i = 1; i <= 100; i++) {
      h = edit(
        h,
        "drag",
        (d) => {
          d.nodes.a.position = { x: i, y: i };
          d.nodes.b.position = { x: 5 + i, y: 5 };
        },
        { coalesceKey: "drag", now: i },
      );
    }
    expect(h.past).toHaveLength(1);
    expect(h.past[0].patches).toHaveLength(2);
    expect(h.past[0].inverse).toHaveLength(2);
    expect(undo(h).present).toEqual({ nodes: { a: { position: { x: 0, y: 0 } }, b: { position: { x: 5, y: 5 } } } });
    expect(redo(undo(h)).present).toEqual(h.present);
  });

  it("merges structural edits in order when they cannot be compacted", () => {
    let h = createHistory<Doc>({ x: 0, items: [] });
    h = edit(h, "a", (d) => void d.items.push("a"), { coalesceKey: "k", now: 0 });
    h = edit(h, "b", (d) => void d.items.push("b"), { coalesceKey: "k", now: 1 });
    expect(undo(h).present.items).toEqual([]);
    expect(redo(undo(h)).present.items).toEqual(["a", "b"]);
  });

  it("starts a new step when the key changes or the window has passed", () => {
    let h = createHistory<Doc>({ x: 0, items: [] });
    h = edit(h, "type", (d) => void (d.x = 1), { coalesceKey: "k", now: 0 });
    h = edit(h, "type", (d) => void (d.x = 2), { coalesceKey: "k", now: COALESCE_MS + 1 });
    h = edit(h, "other", (d) => void (d.x = 3), { coalesceKey: "j", now: COALESCE_MS + 2 });
    expect(h.past).toHaveLength(3);
    h = undo(h);
    expect(h.present.x).toBe(2);
  });

  it("records nothing for a no-op and clears redo on a new edit", () => {
    let h = createHistory<Doc>({ x: 0, items: [] });
    const same = edit(h, "noop", () => {});
    expect(same).toBe(h);
    h = edit(h, "a", (d) => void (d.x = 1));
    h = undo(h);
    expect(h.future).toHaveLength(1);
    h = edit(h, "b", (d) => void (d.x = 9));
    expect(h.future).toHaveLength(0);
    expect(redo(h).present.x).toBe(9);
  });
});

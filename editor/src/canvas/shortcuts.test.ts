import { describe, expect, it } from "vitest";
import { matchShortcut, SHORTCUTS } from "./shortcuts.ts";

const press = (
  key: string,
  mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {},
) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe("shortcuts", () => {
  it("tells undo from redo by Shift", () => {
    expect(matchShortcut(press("z", { ctrlKey: true }))).toBe("undo");
    expect(matchShortcut(press("Z", { ctrlKey: true, shiftKey: true }))).toBe("redo");
    expect(matchShortcut(press("y", { metaKey: true }))).toBe("redo");
  });
  it("maps the run, mute and bypass keys", () => {
    expect(matchShortcut(press("Enter", { ctrlKey: true }))).toBe("queue");
    expect(matchShortcut(press("m", { ctrlKey: true }))).toBe("mute");
    expect(matchShortcut(press("b", { ctrlKey: true }))).toBe("bypass");
    expect(matchShortcut(press("m"))).toBeUndefined();
  });
  it("leaves Space to React Flow's panning", () => {
    expect(matchShortcut(press(" "))).toBeUndefined();
    expect(matchShortcut(press("k", { ctrlKey: true }))).toBe("palette");
  });

  it("lists each action once for the help dialog", () => {
    const actions = SHORTCUTS.map((s) => s.action);
    expect(new Set(actions).size).toBe(actions.length);
  });
});

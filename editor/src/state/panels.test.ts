import { describe, expect, it } from "vitest";
import { readPanels, workspaceClass, writePanels } from "./panels.ts";

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
}

describe("collapsible side panels", () => {
  it("opens both panels on a first visit and after unreadable storage", () => {
    expect(readPanels(memoryStorage())).toEqual({ paletteCollapsed: false, sidebarCollapsed: false });
    expect(readPanels(memoryStorage({ "infix.panels": "{oops" }))).toEqual({
      paletteCollapsed: false,
      sidebarCollapsed: false,
    });
  });

  it("remembers what the user collapsed", () => {
    const storage = memoryStorage();
    writePanels(storage, { paletteCollapsed: false, sidebarCollapsed: true });
    expect(readPanels(storage)).toEqual({ paletteCollapsed: false, sidebarCollapsed: true });
    expect(workspaceClass(readPanels(storage))).toBe("workspace sidebar-collapsed");
  });
});

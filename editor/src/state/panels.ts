/** Which side panels are collapsed, remembered in the browser's storage so the layout stays as the user left it. */
export interface PanelLayout {
  paletteCollapsed: boolean;
  sidebarCollapsed: boolean;
}

export const PANELS_KEY = "infix.panels";

const OPEN: PanelLayout = { paletteCollapsed: false, sidebarCollapsed: false };

/** The remembered layout; both panels open when nothing (or something unreadable) is stored. */
export function readPanels(storage: Pick<Storage, "getItem">): PanelLayout {
  try {
    const stored = JSON.parse(storage.getItem(PANELS_KEY) ?? "null") as Partial<PanelLayout> | null;
    return {
      paletteCollapsed: stored?.paletteCollapsed === true,
      sidebarCollapsed: stored?.sidebarCollapsed === true,
    };
  } catch {
    return OPEN;
  }
}

export function writePanels(storage: Pick<Storage, "setItem">, layout: PanelLayout): void {
  storage.setItem(PANELS_KEY, JSON.stringify(layout));
}

/** The workspace grid's class names for a layout. */
export function workspaceClass(layout: PanelLayout): string {
  return ["workspace", layout.paletteCollapsed && "palette-collapsed", layout.sidebarCollapsed && "sidebar-collapsed"]
    .filter(Boolean)
    .join(" ");
}

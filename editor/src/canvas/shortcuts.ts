/**
 * The keyboard shortcuts, one table: the key handler dispatches from it and the help
 * dialog lists it, so the two cannot drift apart.
 */

export type ShortcutAction =
  "queue" | "undo" | "redo" | "mute" | "bypass" | "duplicate" | "selectAll" | "save" | "fitView" | "help" | "palette";

export interface Shortcut {
  action: ShortcutAction;
  /** Shown in the help dialog. */
  keys: string;
  description: string;
  matches(event: KeyLike): boolean;
}

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

const mod = (e: KeyLike) => e.ctrlKey || e.metaKey;
const key = (e: KeyLike, k: string) => e.key.toLowerCase() === k;

export const SHORTCUTS: readonly Shortcut[] = [
  {
    action: "queue",
    keys: "Ctrl+Enter",
    description: "Queue the workflow",
    matches: (e) => mod(e) && e.key === "Enter",
  },
  { action: "undo", keys: "Ctrl+Z", description: "Undo", matches: (e) => mod(e) && !e.shiftKey && key(e, "z") },
  {
    action: "redo",
    keys: "Ctrl+Shift+Z / Ctrl+Y",
    description: "Redo",
    matches: (e) => mod(e) && ((e.shiftKey && key(e, "z")) || key(e, "y")),
  },
  {
    action: "mute",
    keys: "Ctrl+M",
    description: "Mute / unmute selected nodes",
    matches: (e) => mod(e) && key(e, "m"),
  },
  {
    action: "bypass",
    keys: "Ctrl+B",
    description: "Bypass / un-bypass selected nodes",
    matches: (e) => mod(e) && key(e, "b"),
  },
  {
    action: "duplicate",
    keys: "Ctrl+D",
    description: "Duplicate selected nodes with their links",
    matches: (e) => mod(e) && key(e, "d"),
  },
  { action: "selectAll", keys: "Ctrl+A", description: "Select all nodes", matches: (e) => mod(e) && key(e, "a") },
  { action: "save", keys: "Ctrl+S", description: "Save the workflow", matches: (e) => mod(e) && key(e, "s") },
  {
    action: "fitView",
    keys: "F",
    description: "Fit the view to the graph",
    matches: (e) => !mod(e) && !e.altKey && key(e, "f"),
  },
  // Not Space: React Flow pans while Space is held.
  {
    action: "palette",
    keys: "Ctrl+K / /",
    description: "Search the node palette",
    matches: (e) => (mod(e) && key(e, "k")) || (!mod(e) && e.key === "/"),
  },
  { action: "help", keys: "?", description: "Show this help", matches: (e) => e.key === "?" },
];

/** Shortcuts the canvas gets from React Flow or the browser, listed in the help only. */
export const BUILTIN_SHORTCUTS: readonly { keys: string; description: string }[] = [
  { keys: "Ctrl+C / Ctrl+V", description: "Copy / paste nodes (as workflow JSON, also between tabs)" },
  { keys: "Delete / Backspace", description: "Delete selected nodes and links" },
  { keys: "Shift+drag", description: "Box select" },
  { keys: "Space+drag, or drag the background", description: "Pan" },
  { keys: "Ctrl+click", description: "Add to the selection" },
  { keys: "Double-click a palette entry", description: "Add the node at the centre of the view" },
  { keys: "Right-click a node", description: "Run to here, mute, bypass, duplicate, delete" },
];

export function matchShortcut(event: KeyLike): ShortcutAction | undefined {
  return SHORTCUTS.find((s) => s.matches(event))?.action;
}

/** Keys typed into a text field belong to the field, not to the canvas. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as HTMLElement).tagName !== "string") return false;
  const el = target as HTMLElement;
  return el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable;
}

import { serializeWorkflow } from "@infix/graph";
import { loadWorkflowText } from "../state/load-workflow.ts";
import { extractFragment, pasteFragment } from "../state/fragment.ts";
import { toggleMode, type Point } from "../state/operations.ts";
import type { Tab } from "../state/tabs.ts";

/**
 * Canvas edits shared by shortcuts, menus and the context menu; each is one undo step.
 */

/** The selection as workflow JSON (what Ctrl+C puts on the clipboard); undefined when nothing is selected. */
export function copySelection(tab: Tab): string | undefined {
  const { workflow, selection } = tab.doc.getState();
  if (selection.size === 0) return undefined;
  return serializeWorkflow(extractFragment(workflow, selection));
}

/** Pastes workflow JSON at `at`, selecting the new nodes; returns false (and why) for text that is no workflow. */
export function pasteText(
  tab: Tab,
  text: string,
  at: Point,
): { ok: true; ids: string[] } | { ok: false; reason: string } {
  const loaded = loadWorkflowText(text);
  if (!loaded.ok) return { ok: false, reason: loaded.problems.map((p) => p.message).join("; ") };
  let ids: string[] = [];
  tab.doc.getState().apply("paste", (draft) => {
    ids = pasteFragment(draft, loaded.workflow, at);
  });
  tab.doc.getState().select(ids);
  return { ok: true, ids };
}

/** Duplicates the selection with its internal links, offset down-right. */
export function duplicateSelection(tab: Tab): string[] {
  const { workflow, selection } = tab.doc.getState();
  if (selection.size === 0) return [];
  const fragment = extractFragment(workflow, selection);
  const positions = [...selection].map((id) => workflow.editor?.nodes[id]?.position ?? { x: 0, y: 0 });
  const at = { x: Math.min(...positions.map((p) => p.x)) + 40, y: Math.min(...positions.map((p) => p.y)) + 40 };
  let ids: string[] = [];
  tab.doc.getState().apply("duplicate", (draft) => {
    ids = pasteFragment(draft, fragment, at);
  });
  tab.doc.getState().select(ids);
  return ids;
}

export function toggleSelectedMode(tab: Tab, mode: "muted" | "bypassed", ids?: string[]): void {
  const targets = ids ?? [...tab.doc.getState().selection];
  if (targets.length === 0) return;
  tab.doc.getState().apply(mode === "muted" ? "mute" : "bypass", (draft) => toggleMode(draft, targets, mode));
}

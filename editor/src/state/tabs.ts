import { emptyWorkflow, type Workflow } from "@infix/graph";
import { createDocumentStore, type DocumentStore } from "./document-store.ts";
import { LiveStore } from "./live-store.ts";

/** An open workflow: its document (with undo) and the live state of its last run. */
export interface Tab {
  id: string;
  doc: DocumentStore;
  live: LiveStore;
  /** Where the document came from when it was opened (e.g. `example:zero-shot-generation`), so opening it again can focus this tab. */
  origin?: string;
}

let tabCounter = 0;

export function createTab(
  workflow: Workflow = emptyWorkflow(),
  options: { savedName?: string; dirty?: boolean } = {},
): Tab {
  tabCounter += 1;
  return {
    id: `tab-${tabCounter}-${Date.now().toString(36)}`,
    doc: createDocumentStore(workflow, options),
    live: new LiveStore(),
  };
}

/** What a tab shows as its title: the saved name, else the workflow's name, else "Untitled". */
export function tabTitle(workflow: Workflow, savedName: string | undefined): string {
  return savedName ?? workflow.name ?? "Untitled";
}

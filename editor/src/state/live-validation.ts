import { validateWorkflow, type Problem, type Workflow } from "@infix/graph";
import type { CatalogIndex } from "./catalog.ts";
import type { LiveStore } from "./live-store.ts";
import type { StudioStore } from "./studio-store.ts";
import type { Tab } from "./tabs.ts";

/**
 * Validation while editing: after the document's nodes change (debounced, and never in the
 * middle of a drag), the graph core's validator runs over every active node and its problems
 * are marked on their nodes and inputs in the live store, where a server 400 marks them too.
 * Problems that are fixed disappear on the next pass.
 */

/** Codes not worth marking while a graph is being built: a graph with no output node yet is normal. */
const UNMARKED_CODES = new Set(["no_outputs"]);

/** Problems of a workflow grouped by node id, as the editor marks them (only those with a node). */
export function problemsByNode(workflow: Workflow, catalog: CatalogIndex): Map<string, Problem[]> {
  const byNode = new Map<string, Problem[]>();
  // The catalog's list (not its lookup), so an unknown type gets the known type it most likely meant.
  for (const problem of validateWorkflow(workflow, catalog.catalog.nodes, { scope: "all" })) {
    if (!problem.nodeId || UNMARKED_CODES.has(problem.code)) continue;
    const list = byNode.get(problem.nodeId);
    if (list) list.push(problem);
    else byNode.set(problem.nodeId, [problem]);
  }
  return byNode;
}

/**
 * Writes `found` into the live store's problem marks: nodes whose problems changed are
 * updated, nodes no longer in `found` are cleared; unchanged nodes are not touched (no re-render).
 */
export function markProblems(live: LiveStore, workflow: Workflow, found: ReadonlyMap<string, Problem[]>): void {
  for (const [nodeId, state] of live.entries()) {
    if (state.problems?.length && !found.has(nodeId)) live.update(nodeId, { problems: undefined });
  }
  for (const [nodeId, problems] of found) {
    if (!workflow.nodes[nodeId]) continue;
    if (!sameProblems(live.get(nodeId).problems, problems)) live.update(nodeId, { problems });
  }
}

function sameProblems(a: readonly Problem[] | undefined, b: readonly Problem[]): boolean {
  if (!a || a.length !== b.length) return false;
  return a.every((p, i) => p.code === b[i].code && p.input === b[i].input && p.message === b[i].message);
}

export interface LiveValidationOptions {
  /** Quiet time after the last edit before validating (ms). */
  delayMs?: number;
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

/**
 * Watches every open tab of the studio and validates the ones whose nodes changed. A node
 * drag moves only layout (`workflow.editor`), which never triggers a pass; while a drag is
 * in progress (`setDragging(true)`) a due pass waits for its end.
 *
 * @example const validation = new LiveValidation(studio.store); const stop = validation.start();
 */
export class LiveValidation {
  private readonly delayMs: number;
  private readonly setTimer: (run: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;
  private readonly dueTabs = new Set<string>();
  private timer: unknown;
  private dragging = false;

  constructor(
    private readonly store: StudioStore,
    options: LiveValidationOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 150;
    this.setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
    this.clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  }

  /** Starts watching; validates every tab once the catalog is there. Returns the stop function. */
  start(): () => void {
    let tabSubscriptions: (() => void)[] = [];
    const watchTabs = (tabs: readonly Tab[]) => {
      tabSubscriptions.forEach((stop) => stop());
      tabSubscriptions = tabs.map((tab) =>
        tab.doc.subscribe((s, prev) => s.workflow.nodes !== prev.workflow.nodes && this.schedule(tab.id)),
      );
    };
    watchTabs(this.store.getState().tabs);
    const stopStudio = this.store.subscribe((s, prev) => {
      if (s.tabs !== prev.tabs) {
        watchTabs(s.tabs);
        const known = new Set(prev.tabs);
        for (const tab of s.tabs) if (!known.has(tab)) this.schedule(tab.id);
      }
      if (s.catalog !== prev.catalog) for (const tab of s.tabs) this.schedule(tab.id);
    });
    for (const tab of this.store.getState().tabs) this.schedule(tab.id);
    return () => {
      if (this.timer !== undefined) this.clearTimer(this.timer);
      this.timer = undefined;
      stopStudio();
      tabSubscriptions.forEach((stop) => stop());
    };
  }

  /** Drags hold validation back; the pass that fell due meanwhile runs when the drag ends. */
  setDragging(dragging: boolean): void {
    this.dragging = dragging;
    if (!dragging && this.dueTabs.size && this.timer === undefined) this.arm();
  }

  /** Validates the due tabs now (a timer fired, or a test wants the result at once). */
  flush(): void {
    this.timer = undefined;
    if (this.dragging) return; // setDragging(false) arms again
    const catalog = this.store.getState().catalog;
    if (!catalog) return; // the catalog's arrival schedules every tab
    const due = new Set(this.dueTabs);
    this.dueTabs.clear();
    for (const tab of this.store.getState().tabs) {
      if (!due.has(tab.id)) continue;
      const workflow = tab.doc.getState().workflow;
      markProblems(tab.live, workflow, problemsByNode(workflow, catalog));
    }
  }

  private schedule(tabId: string): void {
    this.dueTabs.add(tabId);
    // Debounced: each edit pushes the pass back, so a typing burst validates once at its end.
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.arm();
  }

  private arm(): void {
    this.timer = this.setTimer(() => this.flush(), this.delayMs);
  }
}

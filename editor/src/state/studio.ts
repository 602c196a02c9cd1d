import type { Problem, Workflow } from "@infix/graph";
import type { ApiClient } from "../api/client.ts";
import { indexCatalog } from "./catalog.ts";
import { isDirty } from "./document-store.ts";
import { loadGalleryHistory, seedsOf } from "./job-history.ts";
import { routeJobEvents, type EventSource, type JobRouter, type JobWatcher } from "./job-events.ts";
import { LiveValidation, markProblems, problemsByNode } from "./live-validation.ts";
import { loadWorkflowJson } from "./load-workflow.ts";
import { missingRequirements } from "./requirements.ts";
import { advanceSeeds } from "./operations.ts";
import {
  activeTab,
  closeTab,
  createStudioStore,
  openInTab,
  pristineTabFrom,
  type StudioStore,
} from "./studio-store.ts";
import { createTab, tabTitle, type Tab } from "./tabs.ts";

/** The example a first visit opens (GET /api/examples/:name). */
export const WELCOME_EXAMPLE = "zero-shot-generation";

/**
 * The studio's controller: what the toolbar, menus and shortcuts do. Talks to the server
 * through the typed API client only; state lives in the studio store and the tab stores.
 */
export class Studio {
  readonly store: StudioStore = createStudioStore();
  /** Marks problems on nodes while editing; started by the app (`validation.start()`). */
  readonly validation = new LiveValidation(this.store);
  private router?: JobRouter;
  private clientId?: () => string | undefined;

  constructor(readonly api: ApiClient) {}

  get tab(): Tab {
    return activeTab(this.store.getState());
  }

  /** Loads config, the node catalog and what the node packages offer; the canvas waits for the catalog. */
  async init(): Promise<void> {
    const [config, nodes, packages] = await Promise.all([this.api.config(), this.api.nodes(), this.api.packages()]);
    if (config.ok) this.store.setState({ config: config.value });
    if (packages.ok) this.store.setState({ packages: packages.value });
    if (nodes.ok) this.store.setState({ catalog: indexCatalog(nodes.value), catalogError: undefined });
    else this.store.setState({ catalogError: nodes.error.message });
  }

  /** Fills the gallery from the server's finished jobs, so a reload keeps the pictures. */
  async loadHistory(): Promise<void> {
    const catalog = this.store.getState().catalog;
    await loadGalleryHistory(this.api, this.store, catalog ? catalog.seedInputs : () => []);
  }

  /** Shows a job's outputs, seeds and log (undefined closes); watches its events meanwhile. */
  showJob(jobId: string | undefined): void {
    this.router?.view(jobId);
    this.store.setState({ openJobId: jobId });
  }

  /** Opens the workflow a job ran, in a new tab (marked unsaved: it is a copy). */
  async openJobWorkflow(jobId: string): Promise<void> {
    const r = await this.api.job(jobId);
    if (!r.ok) return this.notify("error", r.error.message);
    this.open(r.value.workflow, { dirty: true, title: r.value.label ?? `job ${jobId.slice(0, 8)}` });
  }

  /**
   * Listens to the server's socket events; `watcher` asks the server for the events of jobs
   * this client did not submit from its current connection (after a reconnect, a job opened
   * from the queue or the gallery).
   */
  attachSocket(
    socket: EventSource & { id?: string },
    onConnection?: (listen: (connected: boolean) => void) => void,
    watcher?: JobWatcher,
  ): void {
    const router = routeJobEvents(socket, this.store, watcher);
    this.router = router;
    this.clientId = () => socket.id;
    onConnection?.((connected) => {
      if (connected) router.connected();
      this.store.setState({ connected });
    });
  }

  notify(kind: "info" | "error", text: string, problems?: Problem[]): void {
    this.store.setState({ notice: { kind, text, problems } });
  }

  /** A later action worked: an error it made stale ("No workflow in dog.png…") goes; info stays. */
  succeeded(): void {
    if (this.store.getState().notice?.kind === "error") this.store.setState({ notice: undefined });
  }

  /** Queues the active tab's workflow (to `targets` for "run to here"); marks problems from a 400 on their nodes. */
  async queue(targets?: string[], options: { front?: boolean } = {}): Promise<boolean> {
    const tab = this.tab;
    const doc = tab.doc.getState();
    const workflow = doc.workflow;
    this.router?.expectJob(tab.id);
    // Cleared before submitting: a fast job's failure can be replayed by claimJob below.
    this.store.setState({ notice: undefined });
    tab.live.reset();
    const catalog = this.store.getState().catalog;
    const seeds = catalog ? seedsOf(workflow, catalog.seedInputs) : [];
    for (const [id, node] of Object.entries(workflow.nodes)) {
      if (node.mode !== "active") continue;
      const mine = seeds.filter((s) => s.nodeId === id);
      const runSeeds = mine.length ? Object.fromEntries(mine.map((s) => [s.input, s.value])) : undefined;
      tab.live.update(id, { status: "queued", runSeeds });
    }
    const clientId = this.clientId?.();
    const result = await this.api.submitJob({
      workflow,
      targets,
      front: options.front,
      label: tabTitle(workflow, doc.savedName),
      clientId,
    });
    if (!result.ok) {
      tab.live.reset();
      // The server checks only what the run needs; the editor's own marks (e.g. unlinked inputs of a node off
      // the run's path) stay, and the server's problems join them.
      const found = catalog ? problemsByNode(workflow, catalog) : new Map<string, Problem[]>();
      for (const problem of result.error.problems) {
        if (!problem.nodeId) continue;
        const list = found.get(problem.nodeId) ?? [];
        if (!list.some((p) => p.code === problem.code && p.input === problem.input)) list.push(problem);
        found.set(problem.nodeId, list);
      }
      markProblems(tab.live, workflow, found);
      this.notify(
        "error",
        result.error.problems.length
          ? `Cannot run: ${result.error.problems.map((p) => p.message).join(" · ")}`
          : result.error.message,
        result.error.problems,
      );
      return false;
    }
    const jobId = result.value.job.id;
    this.store.setState({ jobSeeds: { ...this.store.getState().jobSeeds, [jobId]: seeds } });
    // The server sends the job's events to the connection named in the submission only.
    this.router?.claimJob(jobId, tab.id, { watch: clientId === undefined || clientId !== this.clientId?.() });
    // "Control after generate" (ComfyUI): seeds move on once the run is queued, so the next one differs.
    if (catalog)
      doc.apply("advance seeds", (draft) => advanceSeeds(draft, catalog.seedInputs), { coalesceKey: "advance-seeds" });
    return true;
  }

  async cancel(jobId: string): Promise<void> {
    const r = await this.api.cancelJob(jobId);
    if (!r.ok) this.notify("error", r.error.message);
  }

  async front(jobId: string): Promise<void> {
    const r = await this.api.frontJob(jobId);
    if (!r.ok) this.notify("error", r.error.message);
    else this.store.setState({ queue: r.value });
  }

  newTab(): void {
    const tab = createTab();
    this.store.setState({ tabs: [...this.store.getState().tabs, tab], activeTabId: tab.id });
  }

  selectTab(tabId: string): void {
    this.store.setState({ activeTabId: tabId });
  }

  closeTab(tabId: string): void {
    closeTab(this.store, tabId);
  }

  /** Opens a parsed workflow; `dirty` when it did not come from a saved copy (a dropped file, a PNG). */
  open(json: unknown, options: { savedName?: string; dirty?: boolean; title?: string; origin?: string } = {}): boolean {
    const loaded = loadWorkflowJson(json);
    if (!loaded.ok) {
      this.notify(
        "error",
        `Cannot open ${options.title ?? "workflow"}: ${loaded.problems.map((p) => p.message).join("; ")}`,
        loaded.problems,
      );
      return false;
    }
    this.succeeded();
    openInTab(this.store, loaded.workflow, options);
    void this.markMissing(loaded.workflow);
    return true;
  }

  /**
   * Marks what cannot run in a freshly opened workflow, with the graph core's validator over
   * every node: unknown node types (a missing node package), options the server no longer
   * offers (a missing model pack in a pack picker), out-of-range values. Also names the
   * resources the workflow requires that no node package on this server offers, with the help
   * their kind gives.
   */
  private async markMissing(workflow: Workflow): Promise<void> {
    const catalog = this.store.getState().catalog;
    if (!catalog) return;
    // Marked at once with the same rules as live validation (which takes over from the next edit).
    const found = problemsByNode(workflow, catalog);
    markProblems(this.tab.live, workflow, found);
    // The notice counts what a saved graph can lack, not links it leaves to the user.
    const problems = [...found.values()].flat().filter((p) => p.code !== "missing_input");
    // Each unknown type once, with the known type the validator says it most likely meant.
    const suggestions = new Map(
      problems.filter((p) => p.code === "unknown_node_type").map((p) => [p.found, p.suggestion]),
    );
    const unknownTypes = [
      ...new Set(
        Object.values(workflow.nodes)
          .filter((n) => !catalog.schema(n.type))
          .map((n) => n.type),
      ),
    ].map((type) => (suggestions.get(type) ? `${type} (did you mean ${suggestions.get(type)}?)` : type));
    const lines: string[] = [];
    if (unknownTypes.length)
      lines.push(
        `${problems.filter((p) => p.code === "unknown_node_type").length} node(s) have types this server does not know: ${unknownTypes.join(", ")}.`,
      );
    if (workflow.requires.length) {
      const installed = await this.api.packages();
      if (installed.ok) {
        this.store.setState({ packages: installed.value });
        lines.push(...missingRequirements(workflow, installed.value));
      }
    }
    const others = problems.length - problems.filter((p) => p.code === "unknown_node_type").length;
    if (others) lines.push(`${others} value(s) need attention (marked on their nodes).`);
    if (lines.length) this.notify("error", lines.join(" "), problems);
  }

  /** Opens an example; one already open and unchanged gets the focus instead of a duplicate. */
  async openExample(name: string): Promise<void> {
    const origin = `example:${name}`;
    const open = pristineTabFrom(this.store.getState(), origin);
    if (open) return this.selectTab(open.id);
    const r = await this.api.example(name);
    // Not marked unsaved: an untouched example has nothing to lose, and opening it again finds this tab.
    if (r.ok) this.open(r.value, { title: name, origin });
    else this.notify("error", r.error.message);
  }

  /**
   * A first visit (nothing autosaved) opens the zero-shot example, so a new user starts from
   * a graph that runs. Only when the server has the example and knows all its node types: a
   * graph of unknown nodes would greet them with errors, so they keep the empty tab instead.
   */
  async openWelcomeExample(name = WELCOME_EXAMPLE): Promise<boolean> {
    const listed = await this.api.examples();
    if (!listed.ok || !listed.value.examples.some((e) => e.name === name)) return false;
    const example = await this.api.example(name);
    const catalog = this.store.getState().catalog;
    if (!example.ok || !catalog) return false;
    const loaded = loadWorkflowJson(example.value);
    if (!loaded.ok || Object.values(loaded.workflow.nodes).some((n) => !catalog.schema(n.type))) return false;
    // Opened only into the untouched first tab: someone who started a graph meanwhile keeps it.
    const doc = this.tab.doc.getState();
    if (this.store.getState().tabs.length !== 1 || Object.keys(doc.workflow.nodes).length || doc.history.past.length)
      return false;
    // Not marked unsaved: nothing was changed yet, so leaving the page need not warn.
    return this.open(loaded.workflow, { title: name, origin: `example:${name}` });
  }

  async openSaved(name: string, version?: number): Promise<void> {
    const r = version === undefined ? await this.api.workflow(name) : await this.api.workflowVersion(name, version);
    if (r.ok) this.open(r.value, { savedName: name, title: name });
    else this.notify("error", r.error.message);
  }

  /** Opens the save dialog with a suggested name (null closes it). */
  askSaveName(suggestion: string | null): void {
    this.store.setState({ saveDialog: suggestion === null ? undefined : { suggestion } });
  }

  /** Saves the active tab on the server under `name` (its saved name when omitted); each save is a new version. */
  async save(name?: string): Promise<boolean> {
    const doc = this.tab.doc.getState();
    const target = name ?? doc.savedName;
    if (!target) return false;
    const workflow = doc.workflow;
    const r = await this.api.saveWorkflow(target, { ...workflow, name: workflow.name ?? target });
    if (!r.ok) {
      this.notify("error", `Save failed: ${r.error.message}`);
      return false;
    }
    if (this.tab.doc.getState().workflow === workflow) doc.markSaved(target);
    else this.tab.doc.setState({ savedName: target });
    this.notify("info", `Saved “${target}” (version ${r.value.versions}).`);
    this.store.setState({ tabs: [...this.store.getState().tabs] });
    return true;
  }

  /** Opens the workflow embedded in a PNG the studio produced. */
  async openPng(file: Blob, title: string): Promise<void> {
    const r = await this.api.workflowFromPng(file);
    if (r.ok) this.open(r.value, { dirty: true, title });
    else this.notify("error", `No workflow in ${title}: ${r.error.message}`);
  }

  /** Opens a dropped or chosen file: workflow JSON, or a PNG with an embedded workflow. */
  async openFile(file: File): Promise<void> {
    if (file.type === "image/png" || file.name.toLowerCase().endsWith(".png")) return this.openPng(file, file.name);
    this.open(await readJson(file), { dirty: true, title: file.name });
  }

  dirtyTabs(): Tab[] {
    return this.store.getState().tabs.filter((t) => isDirty(t.doc.getState()));
  }
}

async function readJson(file: Blob): Promise<unknown> {
  try {
    return JSON.parse(await file.text());
  } catch {
    return undefined;
  }
}

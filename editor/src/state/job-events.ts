import type { ServerToClientEvents, UiResultMessage } from "@infix/protocol";
import type { StudioStore } from "./studio-store.ts";
import type { Tab } from "./tabs.ts";

/**
 * Routes the server's socket events into the studio: queue state to the queue panel, node
 * events to the live store of the tab that submitted the job, produced images to the gallery.
 * Events can overtake the reply to POST /api/jobs, so events of a job not yet claimed by a
 * tab are held and replayed when `claimJob` names its tab.
 *
 * The server sends a job's events only to the sockets watching it: the one it was submitted
 * from, and those that asked (`jobs:watch`). A new connection watches nothing, so after each
 * (re)connect the router watches again the tabs' latest jobs, the job shown in the details
 * and the running ones, and their `job:state` brings the tabs up to date.
 */

/** The subset of a socket the router needs (so tests can drive it with a plain emitter). */
export interface EventSource {
  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): unknown;
}

/** Asks the server for a job's events (socket.io `jobs:watch` / `jobs:unwatch`). */
export interface JobWatcher {
  watch(jobIds: string[]): void;
  unwatch(jobIds: string[]): void;
}

export interface JobRouter {
  /** The socket (re)connected: the server forgot what it watched, so watch again once the queue greeting comes. */
  connected(): void;
  /** Watches the job shown in the job details (undefined: none), so its events come while it runs. */
  view(jobId: string | undefined): void;
  /** A tab is submitting: from now on it ignores its earlier jobs' events (their state would overwrite the new run's). */
  expectJob(tabId: string): void;
  /**
   * Says which tab submitted `jobId`; replays that job's events received so far. `watch` when
   * the submission did not name this connection (it reconnected meanwhile), so the server
   * does not send the job's events to it on its own.
   */
  claimJob(jobId: string, tabId: string, options?: { watch?: boolean }): void;
}

/** Jobs whose early events are held; older unclaimed ones (other clients' jobs) are dropped. */
const HELD_JOBS = 32;

/** Ids per `jobs:watch` message (the server takes at most 100). */
const WATCH_BATCH = 100;

export function routeJobEvents(socket: EventSource, store: StudioStore, watcher?: JobWatcher): JobRouter {
  const held = new Map<string, ((tab: Tab) => void)[]>();
  /** Each tab shows the state of its latest job only; null while a submit is in flight. */
  const latestJob = new Map<string, string | null>();
  let viewed: string | undefined;
  let greetingPending = false;
  const watch = (jobIds: Iterable<string>) => {
    const ids = [...new Set(jobIds)];
    for (let i = 0; i < ids.length; i += WATCH_BATCH) watcher?.watch(ids.slice(i, i + WATCH_BATCH));
  };
  const tabOf = (jobId: string): Tab | undefined => {
    const tabId = store.getState().jobTabs[jobId];
    return tabId ? store.getState().tabs.find((t) => t.id === tabId) : undefined;
  };
  const withTab = (jobId: string, apply: (tab: Tab) => void) => {
    const tab = tabOf(jobId);
    if (tab) {
      if (latestJob.get(tab.id) === jobId) apply(tab);
      return;
    }
    if (store.getState().jobTabs[jobId]) return; // claimed by a tab since closed
    const list = held.get(jobId) ?? [];
    list.push(apply);
    held.set(jobId, list);
    if (held.size > HELD_JOBS) held.delete(held.keys().next().value as string);
  };
  const addImages = (tab: Tab, jobId: string, nodeId: string, ui: UiResultMessage | undefined) => {
    if (!ui?.images?.length) return;
    const at = Date.now();
    const known = new Set(store.getState().gallery.map((g) => `${g.ref.folder}/${g.ref.name}`));
    const added = ui.images
      .filter((ref) => !known.has(`${ref.folder}/${ref.name}`))
      .map((ref) => ({ ref, jobId, nodeId, tabId: tab.id, at, seeds: store.getState().jobSeeds[jobId] }));
    if (added.length) store.setState({ gallery: [...added, ...store.getState().gallery].slice(0, 200) });
  };
  const settle = (tab: Tab) => {
    // Nodes the job never reached (not needed by its targets) stop showing as queued.
    for (const [nodeId, state] of tab.live.entries()) {
      if (state.status === "queued" || state.status === "running")
        tab.live.update(nodeId, { status: undefined, progress: undefined });
    }
  };

  socket.on("queue", (queue) => {
    store.setState({ queue });
    if (!greetingPending) return;
    greetingPending = false;
    const own = [...latestJob.values()].filter((id): id is string => id !== null);
    const running = queue.jobs.filter((job) => job.status === "running").map((job) => job.id);
    watch([...own, ...(viewed ? [viewed] : []), ...running]);
  });
  socket.on("job:state", (job) =>
    withTab(job.id, (tab) => {
      for (const [nodeId, state] of Object.entries(job.nodes)) {
        tab.live.update(nodeId, { ...state, status: state.status === "pending" ? "queued" : state.status });
        addImages(tab, job.id, nodeId, state.ui);
      }
      // It ended while this socket was away: its end event will not come.
      if (job.status !== "queued" && job.status !== "running") settle(tab);
    }),
  );
  socket.on("node:started", ({ jobId, nodeId }) =>
    withTab(jobId, (tab) => tab.live.update(nodeId, { status: "running", progress: undefined, error: undefined })),
  );
  socket.on("node:cached", ({ jobId, nodeId, ui }) =>
    withTab(jobId, (tab) => {
      tab.live.update(nodeId, { status: "cached", ui, progress: undefined });
      addImages(tab, jobId, nodeId, ui);
    }),
  );
  socket.on("node:finished", ({ jobId, nodeId, ms, ui }) =>
    withTab(jobId, (tab) => {
      tab.live.update(nodeId, { status: "done", ms, ui, progress: undefined });
      addImages(tab, jobId, nodeId, ui);
    }),
  );
  socket.on("node:failed", ({ jobId, nodeId, error }) =>
    withTab(jobId, (tab) => tab.live.update(nodeId, { status: "failed", error, progress: undefined })),
  );
  socket.on("progress", ({ jobId, nodeId, step, total }) =>
    withTab(jobId, (tab) => tab.live.batch(nodeId, { progress: { step, total } })),
  );
  socket.on("preview", ({ jobId, nodeId, image }) =>
    withTab(jobId, (tab) => tab.live.batch(nodeId, { preview: image })),
  );
  socket.on("job:succeeded", ({ jobId }) => withTab(jobId, settle));
  socket.on("job:cancelled", ({ jobId }) =>
    withTab(jobId, (tab) => {
      settle(tab);
      store.setState({ notice: { kind: "info", text: "Run cancelled." } });
    }),
  );
  socket.on("job:failed", ({ jobId, error }) =>
    withTab(jobId, (tab) => {
      settle(tab);
      store.setState({ notice: { kind: "error", text: error.message, problems: [error] } });
    }),
  );

  return {
    connected() {
      greetingPending = true;
    },
    view(jobId) {
      const previous = viewed;
      viewed = jobId;
      if (previous && previous !== jobId && ![...latestJob.values()].includes(previous)) watcher?.unwatch([previous]);
      if (jobId && jobId !== previous) watch([jobId]);
    },
    expectJob(tabId) {
      latestJob.set(tabId, null);
    },
    claimJob(jobId, tabId, options) {
      latestJob.set(tabId, jobId);
      if (options?.watch) watch([jobId]);
      store.setState({ jobTabs: { ...store.getState().jobTabs, [jobId]: tabId } });
      const tab = tabOf(jobId);
      const pending = held.get(jobId) ?? [];
      held.delete(jobId);
      if (tab) for (const apply of pending) apply(tab);
    },
  };
}

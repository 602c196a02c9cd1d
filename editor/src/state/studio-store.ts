import type { Problem, Workflow } from "@infix/graph";
import type { Config, FileRefMessage, NodePackageInfo, QueueState } from "@infix/protocol";
import { createStore, type StoreApi } from "zustand/vanilla";
import type { CatalogIndex } from "./catalog.ts";
import type { SeedUse } from "./job-history.ts";
import { createTab, type Tab } from "./tabs.ts";

/**
 * App-level state: the catalog and config from the server, the open tabs, the queue, the
 * gallery of produced images and the notice line. Each tab's document has its own store.
 */

export interface GalleryImage {
  ref: FileRefMessage & { width: number; height: number };
  jobId: string;
  nodeId: string;
  /** The tab that submitted the job; absent for jobs from the history (another session, before a reload). */
  tabId?: string;
  at: number;
  /** The seeds the job ran with (the editor's seed widgets move on as soon as a job is queued). */
  seeds?: SeedUse[];
}

export interface Notice {
  kind: "info" | "error";
  text: string;
  problems?: Problem[];
}

export interface StudioState {
  catalog?: CatalogIndex;
  catalogError?: string;
  config?: Config;
  /** What the server's node packages offer (model packs...) and what they want said (the notices' banners). */
  packages?: NodePackageInfo[];
  tabs: Tab[];
  activeTabId: string;
  queue: QueueState;
  /** Which tab submitted each job, so its node events land on the right document. */
  jobTabs: Readonly<Record<string, string>>;
  /** The seeds each job this editor submitted ran with, by job id. */
  jobSeeds: Readonly<Record<string, SeedUse[]>>;
  /** Set while the save dialog asks for a name, with the name it suggests. */
  saveDialog?: { suggestion: string };
  /** The job whose details (outputs, seeds, log, workflow) are open, if any. */
  openJobId?: string;
  gallery: GalleryImage[];
  notice?: Notice;
  connected: boolean;
}

export type StudioStore = StoreApi<StudioState>;

export function createStudioStore(): StudioStore {
  const first = createTab();
  return createStore<StudioState>()(() => ({
    tabs: [first],
    activeTabId: first.id,
    queue: { paused: false, jobs: [] },
    jobTabs: {},
    jobSeeds: {},
    gallery: [],
    connected: false,
  }));
}

export function activeTab(state: StudioState): Tab {
  return state.tabs.find((t) => t.id === state.activeTabId) ?? state.tabs[0];
}

/** Opens a workflow in a new tab — or in the active one when it is empty and unchanged — and focuses it. */
export function openInTab(
  store: StudioStore,
  workflow: Workflow,
  options: { savedName?: string; dirty?: boolean; origin?: string } = {},
): Tab {
  const state = store.getState();
  const current = activeTab(state);
  const doc = current.doc.getState();
  if (Object.keys(doc.workflow.nodes).length === 0 && doc.history.past.length === 0 && !doc.savedName) {
    current.doc.getState().load(workflow, options);
    current.live.reset();
    current.origin = options.origin;
    store.setState({ tabs: [...state.tabs] });
    return current;
  }
  const tab = createTab(workflow, options);
  tab.origin = options.origin;
  store.setState({ tabs: [...state.tabs, tab], activeTabId: tab.id });
  return tab;
}

/** The open tab that still shows `origin` unchanged (nothing edited since it was opened), if any. */
export function pristineTabFrom(state: StudioState, origin: string): Tab | undefined {
  return state.tabs.find((t) => t.origin === origin && t.doc.getState().history.past.length === 0);
}

export function closeTab(store: StudioStore, tabId: string): void {
  const state = store.getState();
  const index = state.tabs.findIndex((t) => t.id === tabId);
  if (index < 0) return;
  const tabs = state.tabs.filter((t) => t.id !== tabId);
  if (tabs.length === 0) tabs.push(createTab());
  const activeTabId = state.activeTabId === tabId ? tabs[Math.min(index, tabs.length - 1)].id : state.activeTabId;
  store.setState({ tabs, activeTabId });
}

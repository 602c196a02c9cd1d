import { createContext, useContext, useSyncExternalStore } from "react";
import { useStore } from "zustand";
import type { DocumentState } from "./document-store.ts";
import type { LiveStore, NodeLiveState } from "./live-store.ts";
import type { Studio } from "./studio.ts";
import type { StudioState } from "./studio-store.ts";
import type { Tab } from "./tabs.ts";

/** React bindings: the studio controller and the active tab travel by context. */
export const StudioContext = createContext<Studio | null>(null);
export const TabContext = createContext<Tab | null>(null);

export function useStudio(): Studio {
  const studio = useContext(StudioContext);
  if (!studio) throw new Error("useStudio outside <StudioContext>");
  return studio;
}

export function useStudioState<T>(selector: (state: StudioState) => T): T {
  return useStore(useStudio().store, selector);
}

export function useTab(): Tab {
  const tab = useContext(TabContext);
  if (!tab) throw new Error("useTab outside <TabContext>");
  return tab;
}

export function useDocument<T>(selector: (state: DocumentState) => T): T {
  return useStore(useTab().doc, selector);
}

/** One node's live state; re-renders only when that node's state changes. */
export function useNodeLive(live: LiveStore, nodeId: string): NodeLiveState {
  return useSyncExternalStore(
    (listener) => live.subscribe(nodeId, listener),
    () => live.get(nodeId),
  );
}

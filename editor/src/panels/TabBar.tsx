import { useEffect, useRef } from "react";
import { useStore } from "zustand";
import { isDirty } from "../state/document-store.ts";
import { useStudio, useStudioState } from "../state/react.ts";
import { tabTitle, type Tab } from "../state/tabs.ts";

/** Open workflows on one line (it scrolls; titles are truncated, full on hover); a dot marks unsaved changes. */
export function TabBar() {
  const studio = useStudio();
  const tabs = useStudioState((s) => s.tabs);
  const active = useStudioState((s) => s.activeTabId);
  return (
    <nav className="tab-bar" role="tablist" aria-label="Open workflows">
      {tabs.map((tab) => (
        <TabButton
          key={tab.id}
          tab={tab}
          active={tab.id === active}
          onSelect={() => studio.selectTab(tab.id)}
          onClose={() => studio.closeTab(tab.id)}
        />
      ))}
      <button
        type="button"
        className="tab-bar__new"
        aria-label="New tab"
        title="New workflow"
        onClick={() => studio.newTab()}
      >
        +
      </button>
    </nav>
  );
}

function TabButton({
  tab,
  active,
  onSelect,
  onClose,
}: {
  tab: Tab;
  active: boolean;
  onSelect(): void;
  onClose(): void;
}) {
  const title = useStore(tab.doc, (s) => tabTitle(s.workflow, s.savedName));
  const dirty = useStore(tab.doc, isDirty);
  const element = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (active) element.current?.scrollIntoView?.({ block: "nearest", inline: "nearest" });
  }, [active]);
  return (
    <span ref={element} className={`tab${active ? " is-active" : ""}`} data-dirty={dirty}>
      <button type="button" role="tab" aria-selected={active} onClick={onSelect} title={title}>
        {title}
        {dirty && (
          <span className="tab__dirty" aria-label="unsaved changes" title="Unsaved changes">
            {" "}
            ●
          </span>
        )}
      </button>
      <button
        type="button"
        className="tab__close"
        aria-label={`Close ${title}`}
        onClick={() => {
          if (!dirty || confirm(`Close “${title}” without saving?`)) onClose();
        }}
      >
        ×
      </button>
    </span>
  );
}

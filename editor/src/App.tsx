import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useEffect, useRef, useState } from "react";
import { useStore } from "zustand";
import type { PackageNotice } from "@infix/protocol";
import { copySelection, duplicateSelection, pasteText, toggleSelectedMode } from "./canvas/commands.ts";
import { FlowCanvas } from "./canvas/FlowCanvas.tsx";
import { isTypingTarget, matchShortcut } from "./canvas/shortcuts.ts";
import { Gallery } from "./panels/Gallery.tsx";
import { HelpDialog } from "./panels/HelpDialog.tsx";
import { JobDetails } from "./panels/JobDetails.tsx";
import { SaveDialog } from "./panels/SaveDialog.tsx";
import { Palette } from "./panels/Palette.tsx";
import { QueuePanel } from "./panels/QueuePanel.tsx";
import { TabBar } from "./panels/TabBar.tsx";
import { saveActive, Toolbar } from "./panels/Toolbar.tsx";
import { StudioContext, TabContext, useStudio, useStudioState } from "./state/react.ts";
import { readPanels, workspaceClass, writePanels, type PanelLayout } from "./state/panels.ts";
import { bannerDismissed, dismissBanner, helpParts } from "./state/banner.ts";
import { activeTab } from "./state/studio-store.ts";
import type { Studio } from "./state/studio.ts";

/** The studio: toolbar, tabs, palette, canvas, queue and gallery. */
export function App({ studio }: { studio: Studio }) {
  return (
    <StudioContext.Provider value={studio}>
      <Shell />
    </StudioContext.Provider>
  );
}

function Shell() {
  const tab = useStudioState(activeTab);
  const loads = useStore(tab.doc, (s) => s.loads);
  const [help, setHelp] = useState(false);
  return (
    <TabContext.Provider value={tab}>
      {/* A new canvas per tab and per document loaded into it, so each opens with its own first view. */}
      <ReactFlowProvider key={`${tab.id}:${loads}`}>
        <div className="studio">
          <Toolbar onHelp={() => setHelp(true)} />
          <TabBar />
          <PackageNotices />
          <Workspace onHelp={() => setHelp(true)} />
          <NoticeBar />
        </div>
        {help && <HelpDialog onClose={() => setHelp(false)} />}
        <JobDetails />
        <SaveDialog />
      </ReactFlowProvider>
    </TabContext.Provider>
  );
}

function Workspace({ onHelp }: { onHelp(): void }) {
  const studio = useStudio();
  const flow = useReactFlow();
  const catalogError = useStudioState((s) => s.catalogError);
  const search = useRef<HTMLInputElement>(null);
  const pointer = useRef({ x: 0, y: 0 });

  useEffect(() => {
    const onMove = (e: PointerEvent) => (pointer.current = { x: e.clientX, y: e.clientY });
    const onKey = (e: KeyboardEvent) => {
      if (isTypingTarget(e.target)) return;
      const action = matchShortcut(e);
      if (!action) return;
      const tab = studio.tab;
      e.preventDefault();
      switch (action) {
        case "queue":
          return void studio.queue();
        case "undo":
          return tab.doc.getState().undo();
        case "redo":
          return tab.doc.getState().redo();
        case "mute":
          return toggleSelectedMode(tab, "muted");
        case "bypass":
          return toggleSelectedMode(tab, "bypassed");
        case "duplicate":
          return void duplicateSelection(tab);
        case "selectAll":
          return tab.doc.getState().select(Object.keys(tab.doc.getState().workflow.nodes));
        case "save":
          return void saveActive(studio, false);
        case "fitView":
          return void flow.fitView({ duration: 200, maxZoom: 1 });
        case "palette":
          return search.current?.focus();
        case "help":
          return onHelp();
      }
    };
    // Copy and paste through the clipboard events, as workflow JSON: works across tabs and windows without a permission prompt.
    const onCopy = (e: ClipboardEvent) => {
      if (isTypingTarget(e.target)) return;
      const text = copySelection(studio.tab);
      if (!text || !e.clipboardData) return;
      e.clipboardData.setData("text/plain", text);
      e.preventDefault();
    };
    const onPaste = (e: ClipboardEvent) => {
      if (isTypingTarget(e.target)) return;
      const text = e.clipboardData?.getData("text/plain");
      if (!text) return;
      e.preventDefault();
      const at = flow.screenToFlowPosition(pointer.current);
      const result = pasteText(studio.tab, text, at);
      if (!result.ok) studio.notify("error", `Nothing to paste: ${result.reason}`);
    };
    window.addEventListener("pointermove", onMove);
    window.addEventListener("keydown", onKey);
    window.addEventListener("copy", onCopy);
    window.addEventListener("paste", onPaste);
    return () => {
      window.removeEventListener("pointermove", onMove);
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("copy", onCopy);
      window.removeEventListener("paste", onPaste);
    };
  }, [studio, flow, onHelp]);

  const [panels, setPanels] = useState(() => readPanels(localStorage));
  const togglePanel = (key: keyof PanelLayout) => {
    const next = { ...panels, [key]: !panels[key] };
    writePanels(localStorage, next);
    setPanels(next);
  };

  return (
    <main className={workspaceClass(panels)}>
      {panels.paletteCollapsed ? (
        <div className="collapsed-strip collapsed-strip--left">
          <button
            type="button"
            className="panel-toggle"
            aria-label="Show the node palette"
            title="Show the node palette"
            onClick={() => togglePanel("paletteCollapsed")}
          >
            ›
          </button>
        </div>
      ) : (
        <Palette searchRef={search} onCollapse={() => togglePanel("paletteCollapsed")} />
      )}
      {catalogError ? (
        <div className="canvas canvas--error" role="alert">
          Could not load the node catalog: {catalogError}
        </div>
      ) : (
        <FlowCanvas />
      )}
      {panels.sidebarCollapsed ? (
        <div className="collapsed-strip collapsed-strip--right">
          <button
            type="button"
            className="panel-toggle"
            aria-label="Show the queue and gallery"
            title="Show the queue and gallery"
            onClick={() => togglePanel("sidebarCollapsed")}
          >
            ‹
          </button>
        </div>
      ) : (
        <aside className="sidebar">
          <button
            type="button"
            className="panel-toggle"
            aria-label="Hide the queue and gallery"
            title="Hide the queue and gallery (more room for the graph)"
            onClick={() => togglePanel("sidebarCollapsed")}
          >
            ›
          </button>
          <QueuePanel />
          <Gallery />
        </aside>
      )}
    </main>
  );
}

/** The notices the server's node packages publish (e.g. only the tiny test pack is installed), each dismissible. */
function PackageNotices() {
  const packages = useStudioState((s) => s.packages);
  const notices = (packages ?? []).flatMap((pkg) => pkg.notices);
  return (
    <>
      {notices.map((notice) => (
        <NoticeBanner key={notice.id} notice={notice} />
      ))}
    </>
  );
}

function NoticeBanner({ notice }: { notice: PackageNotice }) {
  const [dismissed, setDismissed] = useState(() => bannerDismissed(localStorage, notice));
  if (dismissed || bannerDismissed(localStorage, notice)) return null;
  return (
    <div className="banner" role="status" data-testid="package-notice" data-notice-id={notice.id}>
      <span className="banner__text">
        {helpParts(notice.text).map((part, i) =>
          part.kind === "code" ? (
            <code key={i}>{part.text}</code>
          ) : part.kind === "link" ? (
            <a key={i} href={part.text} target="_blank" rel="noreferrer">
              {part.text}
            </a>
          ) : (
            <span key={i}>{part.text}</span>
          ),
        )}
      </span>
      <button
        type="button"
        className="small"
        aria-label="Dismiss this notice"
        onClick={() => {
          dismissBanner(localStorage, notice);
          setDismissed(true);
        }}
      >
        ×
      </button>
    </div>
  );
}

function NoticeBar() {
  const studio = useStudio();
  const notice = useStudioState((s) => s.notice);
  const connected = useStudioState((s) => s.connected);
  return (
    <footer className="notice-bar">
      <span
        className={`connection ${connected ? "is-up" : "is-down"}`}
        title={connected ? "Connected to the server" : "Not connected"}
      >
        {connected ? "● connected" : "○ offline"}
      </span>
      {notice && (
        <span
          className={`notice notice--${notice.kind}`}
          role={notice.kind === "error" ? "alert" : "status"}
          data-testid="notice"
        >
          {notice.text}
          <button
            type="button"
            className="small"
            aria-label="Dismiss"
            onClick={() => studio.store.setState({ notice: undefined })}
          >
            ×
          </button>
        </span>
      )}
    </footer>
  );
}

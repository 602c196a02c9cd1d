import { useEffect, useRef } from "react";
import { removeNodes } from "../state/operations.ts";
import { useStudio, useTab } from "../state/react.ts";
import { duplicateSelection, toggleSelectedMode } from "./commands.ts";

export interface ContextMenuState {
  nodeId: string;
  x: number;
  y: number;
}

/** A node's right-click menu: run to here, mute, bypass, duplicate, delete. */
export function NodeContextMenu({ menu, onClose }: { menu: ContextMenuState; onClose(): void }) {
  const studio = useStudio();
  const tab = useTab();
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const act = (run: () => void) => () => {
    run();
    onClose();
  };
  const ids = () => {
    const selection = tab.doc.getState().selection;
    return selection.has(menu.nodeId) ? [...selection] : [menu.nodeId];
  };
  return (
    <div
      className="context-menu"
      role="menu"
      aria-label={`Node ${menu.nodeId}`}
      style={{ left: menu.x, top: menu.y }}
      onKeyDown={(e) => e.key === "Escape" && onClose()}
      data-testid="node-menu"
    >
      <button ref={first} role="menuitem" onClick={act(() => void studio.queue([menu.nodeId]))}>
        Run to here
      </button>
      <button role="menuitem" onClick={act(() => toggleSelectedMode(tab, "muted", ids()))}>
        Mute / unmute
      </button>
      <button role="menuitem" onClick={act(() => toggleSelectedMode(tab, "bypassed", ids()))}>
        Bypass / un-bypass
      </button>
      <button
        role="menuitem"
        onClick={act(() => {
          tab.doc.getState().select(ids());
          duplicateSelection(tab);
        })}
      >
        Duplicate
      </button>
      <button role="menuitem" onClick={act(() => tab.doc.getState().apply("delete", (d) => removeNodes(d, ids())))}>
        Delete
      </button>
    </div>
  );
}

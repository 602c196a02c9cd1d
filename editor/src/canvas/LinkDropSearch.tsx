import { useMemo, useState } from "react";
import { searchNodes } from "../state/catalog.ts";
import type { LinkCandidate } from "./placement.ts";

export interface LinkDropState {
  /** Screen position of the drop (the popup opens there; the new node lands there). */
  x: number;
  y: number;
  candidates: LinkCandidate[];
}

/**
 * The node search a link dropped on empty canvas opens (as in ComfyUI and chaiNNer): only
 * node types with a socket the link fits; Enter or a click adds the node there, linked.
 */
export function LinkDropSearch({
  drop,
  onPick,
  onClose,
}: {
  drop: LinkDropState;
  onPick(candidate: LinkCandidate): void;
  onClose(): void;
}) {
  const [query, setQuery] = useState("");
  const shown = useMemo(() => {
    const schemas = searchNodes(
      drop.candidates.map((c) => c.schema),
      query,
    );
    return schemas.map((schema) => drop.candidates.find((c) => c.schema === schema)!);
  }, [drop, query]);
  return (
    <div
      className="link-search"
      role="dialog"
      aria-label="Add a node for this link"
      style={{ left: drop.x, top: drop.y }}
      onPointerDown={(e) => e.stopPropagation()}
    >
      <input
        autoFocus
        type="search"
        aria-label="Search compatible nodes"
        placeholder="Compatible nodes…"
        value={query}
        onChange={(e) => setQuery(e.currentTarget.value)}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === "Escape") onClose();
          if (e.key === "Enter" && shown[0]) onPick(shown[0]);
        }}
      />
      <ul>
        {shown.length === 0 && <li className="muted">No node type takes this link.</li>}
        {shown.map((c) => (
          <li key={c.schema.type}>
            <button type="button" data-node-type={c.schema.type} onClick={() => onPick(c)} title={c.schema.description}>
              {c.schema.title} <span className="muted">· {c.handle}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

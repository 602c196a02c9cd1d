import type { NodeSchema } from "@infix/graph";
import { useReactFlow } from "@xyflow/react";
import { useMemo, useState, type RefObject } from "react";
import { PALETTE_MIME, snapPoint } from "../canvas/FlowCanvas.tsx";
import { estimateNodeSize, freePlace } from "../canvas/placement.ts";
import { groupByCategory, searchNodes } from "../state/catalog.ts";
import { addNode } from "../state/operations.ts";
import { useStudioState, useTab } from "../state/react.ts";

/** The node palette: search by name or category; drag an entry onto the canvas or double-click it. */
export function Palette({
  searchRef,
  onCollapse,
}: {
  searchRef?: RefObject<HTMLInputElement | null>;
  onCollapse?(): void;
}) {
  const catalog = useStudioState((s) => s.catalog);
  const tab = useTab();
  const flow = useReactFlow();
  const [query, setQuery] = useState("");
  const groups = useMemo(
    () => groupByCategory(catalog ? searchNodes(catalog.catalog.nodes, query) : []),
    [catalog, query],
  );

  const addAtCentre = (schema: NodeSchema) => {
    const canvas = document.querySelector(".canvas")?.getBoundingClientRect();
    const centre = canvas
      ? { x: canvas.left + canvas.width / 2, y: canvas.top + canvas.height / 2 }
      : { x: 400, y: 300 };
    // The centre of the view, or the nearest free place: nodes added one after another never stack.
    const { workflow, measured } = tab.doc.getState();
    const position = freePlace(
      snapPoint(flow.screenToFlowPosition(centre)),
      workflow,
      measured,
      estimateNodeSize(schema),
      (type) => {
        const other = catalog?.catalog.nodes.find((node) => node.type === type);
        return other && estimateNodeSize(other);
      },
    );
    let id = "";
    tab.doc.getState().apply(`add ${schema.type}`, (d) => void (id = addNode(d, schema, position)));
    tab.doc.getState().select([id]);
  };

  return (
    <aside className="palette" aria-label="Node palette">
      <div className="palette__top">
        <input
          ref={searchRef}
          type="search"
          className="palette__search"
          placeholder="Search nodes…"
          aria-label="Search nodes"
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            const first = groups[0]?.[1][0];
            if (e.key === "Enter" && first) addAtCentre(first);
            if (e.key === "Escape") setQuery("");
          }}
        />
        {onCollapse && (
          <button
            type="button"
            className="panel-toggle"
            aria-label="Hide the node palette"
            title="Hide the node palette (more room for the graph)"
            onClick={onCollapse}
          >
            ‹
          </button>
        )}
      </div>
      {!catalog && <p className="muted">Loading nodes…</p>}
      <div className="palette__list">
        {groups.map(([category, schemas]) => (
          <section key={category}>
            <h3>{category}</h3>
            <ul>
              {schemas.map((schema) => (
                <li key={schema.type}>
                  <button
                    type="button"
                    className="palette__entry"
                    draggable
                    title={schema.description}
                    data-node-type={schema.type}
                    onDragStart={(e) => {
                      e.dataTransfer.setData(PALETTE_MIME, schema.type);
                      e.dataTransfer.effectAllowed = "copy";
                    }}
                    onDoubleClick={() => addAtCentre(schema)}
                    onKeyDown={(e) => e.key === "Enter" && addAtCentre(schema)}
                  >
                    {schema.title}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ))}
        {catalog && groups.length === 0 && <p className="muted">No node matches “{query}”.</p>}
      </div>
    </aside>
  );
}

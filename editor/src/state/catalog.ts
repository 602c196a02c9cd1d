import type { NodeCatalog, NodeSchema } from "@infix/graph";

/**
 * Lookups over the catalog from GET /api/nodes: schemas by type, socket colours, palette
 * search. The editor knows node types through this alone.
 */
export interface CatalogIndex {
  catalog: NodeCatalog;
  schema(type: string): NodeSchema | undefined;
  /** CSS colour of a socket type; a neutral grey for types the catalog does not list. */
  color(socketType: string): string;
  socketDescription(socketType: string): string | undefined;
  /** Names of an input's SEED widgets for a node type (used to advance seeds after a run). */
  seedInputs(type: string): readonly string[];
}

export const UNKNOWN_SOCKET_COLOR = "#9e9e9e";

export function indexCatalog(catalog: NodeCatalog): CatalogIndex {
  const byType = new Map(catalog.nodes.map((n) => [n.type, n]));
  const sockets = new Map(catalog.socketTypes.map((s) => [s.name, s]));
  const seeds = new Map(
    catalog.nodes.map((n) => [n.type, n.inputs.filter((i) => i.widget?.kind === "SEED").map((i) => i.name)]),
  );
  return {
    catalog,
    schema: (type) => byType.get(type),
    color: (type) => sockets.get(type)?.color ?? UNKNOWN_SOCKET_COLOR,
    socketDescription: (type) => sockets.get(type)?.description,
    seedInputs: (type) => seeds.get(type) ?? [],
  };
}

/**
 * Palette search: every word of the query must appear in the title, type or category
 * (case-insensitive); title-prefix matches first, then by category and title.
 */
export function searchNodes(nodes: readonly NodeSchema[], query: string): NodeSchema[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const hits = nodes.filter((n) => {
    const haystack = `${n.title} ${n.type} ${n.category}`.toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
  const first = words[0] ?? "";
  return hits.sort((a, b) => {
    const pa = a.title.toLowerCase().startsWith(first) ? 0 : 1;
    const pb = b.title.toLowerCase().startsWith(first) ? 0 : 1;
    return pa - pb || a.category.localeCompare(b.category) || a.title.localeCompare(b.title);
  });
}

/** Groups schemas by their top-level category, categories sorted. */
export function groupByCategory(nodes: readonly NodeSchema[]): [string, NodeSchema[]][] {
  const groups = new Map<string, NodeSchema[]>();
  for (const n of nodes) {
    const key = n.category || "other";
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

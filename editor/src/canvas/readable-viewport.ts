/**
 * The first view of an opened workflow: everything when it fits at a zoom people can read,
 * else the graph's start (top-left, where a left-to-right pipeline begins) at the smallest
 * readable zoom, the rest a pan away (the minimap shows it). A plain fit of a nine-node
 * pipeline on a laptop screen zooms to ~0.45, where 13 px widget text draws at 6 px.
 * Vertically the graph starts at the top: the space left below is where the minimap sits,
 * so it does not cover the pipeline's last nodes.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export interface ReadableViewportOptions {
  /** Below this zoom the node text is too small to read (13 px × 0.8 ≈ 10 px). */
  minZoom?: number;
  /** Small graphs are not blown up past their natural size. */
  maxZoom?: number;
  /** Screen pixels kept free around the graph. */
  padding?: number;
}

/**
 * Viewport (React Flow's `{ x, y, zoom }`: screen = flow × zoom + offset) showing `bounds`
 * (flow units) in a `view` of the given screen size.
 *
 * @example readableViewport({ x: 0, y: 0, width: 1900, height: 640 }, { width: 930, height: 730 }) // { x: 32, y: ..., zoom: 0.8 }
 */
export function readableViewport(
  bounds: Rect,
  view: { width: number; height: number },
  options: ReadableViewportOptions = {},
): Viewport {
  const { minZoom = 0.8, maxZoom = 1, padding = 32 } = options;
  const roomX = Math.max(1, view.width - 2 * padding);
  const roomY = Math.max(1, view.height - 2 * padding);
  const fit = Math.min(roomX / Math.max(1, bounds.width), roomY / Math.max(1, bounds.height));
  const zoom = Math.min(maxZoom, Math.max(minZoom, fit));
  const place = (start: number, size: number, room: number, viewSize: number) =>
    size * zoom <= room ? (viewSize - size * zoom) / 2 - start * zoom : padding - start * zoom;
  return {
    x: place(bounds.x, bounds.width, roomX, view.width),
    y: padding - bounds.y * zoom,
    zoom,
  };
}

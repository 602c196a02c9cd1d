/**
 * The text progress line `infix run` draws on stderr:
 * `[########------------]  2/5 nodes  Sampler 12/30`.
 * Pure, so it can be tested; the caller decides how to draw it (\r on a TTY, lines otherwise).
 */
export interface RunProgress {
  nodesDone: number;
  nodesTotal: number;
  /** The node running now and its own step progress, if it reports any. */
  current?: { label: string; step?: number; total?: number };
}

/**
 * Renders a progress line `width` characters wide for the bar part.
 *
 * @example renderProgressLine({ nodesDone: 1, nodesTotal: 4 }, 8) // "[##------]  1/4 nodes"
 */
export function renderProgressLine(progress: RunProgress, width = 20): string {
  const { nodesDone, nodesTotal, current } = progress;
  // Count the running node's own progress as a fraction of one node, so long samplers move the bar.
  const partial = current?.step !== undefined && current.total ? Math.min(1, current.step / current.total) : 0;
  const fraction = nodesTotal > 0 ? Math.min(1, (nodesDone + partial) / nodesTotal) : 1;
  const filled = Math.round(fraction * width);
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  const counts = `${String(nodesDone).padStart(String(nodesTotal).length)}/${nodesTotal} nodes`;
  if (!current) return `${bar}  ${counts}`;
  const steps = current.step !== undefined && current.total !== undefined ? ` ${current.step}/${current.total}` : "";
  return `${bar}  ${counts}  ${current.label}${steps}`;
}

import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseWorkflow, type Problem, type Workflow } from "@infix/engine";
import type { ExecutionEvents } from "../engine/src/execution/types.ts";
import type { EngineSetup } from "./engine-setup.ts";
import { formatProblem } from "./format-problem.ts";
import { applyLatentsOption } from "./latents-option.ts";
import { renderProgressLine, type RunProgress } from "./progress-bar.ts";

/** Where `infix run` writes: its text goes to these (stderr for progress, stdout for results). */
export interface RunStreams {
  out: (line: string) => void;
  /** Progress and errors. `rewrite` replaces the current line (a TTY) instead of adding one. */
  err: (line: string, rewrite?: boolean) => void;
  isTty: boolean;
}

/** Run options beyond the workflow file. */
export interface RunOptions {
  /** A .npy file for the workflow's Load Latent node (`--latents`). */
  latents?: string;
}

/**
 * `infix run <workflow.json>`: loads (and migrates) the workflow, validates it, runs it with a
 * progress bar, and prints where the outputs went. Returns the process exit code:
 * 0 succeeded, 1 the run failed, 2 the workflow could not be read or is invalid.
 *
 * @example process.exitCode = await runWorkflowFile("examples/hello.json", setup, streams);
 */
export async function runWorkflowFile(
  file: string,
  setup: EngineSetup,
  streams: RunStreams,
  signal?: AbortSignal,
  options: RunOptions = {},
): Promise<number> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(resolve(file), "utf8"));
  } catch (error) {
    streams.err(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const parsed = parseWorkflow(json);
  if (!parsed.ok) return reportProblems(streams, `${file} is not a valid workflow`, parsed.problems);
  let workflow = parsed.workflow;
  if (options.latents !== undefined) {
    const applied = await applyLatentsOption(workflow, options.latents, setup.files.folders.input);
    if (!applied.ok)
      return reportProblems(streams, `--latents ${options.latents} cannot be used`, [applied.problem], workflow);
    workflow = applied.workflow;
  }
  const problems = setup.executor.validate(workflow);
  if (problems.length > 0) return reportProblems(streams, `${file} cannot run`, problems, workflow);

  const progress: RunProgress = { nodesDone: 0, nodesTotal: 0 };
  const draw = () => streams.err(renderProgressLine(progress), streams.isTty);
  const label = (nodeId: string) => workflow.nodes[nodeId]?.title ?? workflow.nodes[nodeId]?.type ?? nodeId;
  let lastDraw = 0;
  const events: ExecutionEvents = {
    nodeStarted: (nodeId) => {
      progress.current = { label: label(nodeId) };
      if (streams.isTty) draw();
    },
    nodeCached: () => {
      progress.nodesDone += 1;
    },
    nodeFinished: () => {
      progress.nodesDone += 1;
      progress.current = undefined;
      draw();
    },
    nodeFailed: () => undefined,
    progress: (nodeId, step, total) => {
      progress.current = { label: label(nodeId), step, total };
      // A TTY redraws at most 10 times a second; a log file gets node lines only.
      if (streams.isTty && Date.now() - lastDraw > 100) {
        lastDraw = Date.now();
        draw();
      }
    },
    preview: () => undefined,
  };
  // The number of nodes that will run is the executor's business; count what the plan will touch.
  progress.nodesTotal = countActiveNodes(workflow);
  const controller = new AbortController();
  signal?.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  const result = await setup.executor.execute({ workflow, signal: controller.signal, events });
  progress.nodesTotal = result.ran.length + result.cached.length;
  if (streams.isTty) streams.err("", true);

  if (result.status !== "succeeded") {
    if (result.status === "cancelled") {
      streams.err("cancelled");
      return 1;
    }
    return reportProblems(
      streams,
      "the run failed",
      result.problems ?? (result.error ? [result.error] : []),
      workflow,
      1,
    );
  }
  const written = Object.entries(result.ui).flatMap(([nodeId, ui]) => [
    ...(ui.images ?? []).map(
      (image) =>
        `${label(nodeId)} (node ${nodeId}): ${setup.files.folders[image.folder]}/${image.name} (${image.width}×${image.height})`,
    ),
    ...(ui.text ?? []).map((text) => `${label(nodeId)} (node ${nodeId}): ${text}`),
  ]);
  streams.out(`done: ${result.ran.length} node(s) ran, ${result.cached.length} from cache`);
  for (const line of written) streams.out(line);
  streams.out(`outputs are in ${setup.files.folders.output}`);
  return 0;
}

function reportProblems(
  streams: RunStreams,
  headline: string,
  problems: Problem[],
  workflow?: Workflow,
  code = 2,
): number {
  streams.err(`${headline}:`);
  for (const problem of problems) streams.err(`  ${formatProblem(problem, workflow)}`);
  if (problems.length === 0) streams.err("  (no details)");
  return code;
}

function countActiveNodes(workflow: Workflow): number {
  return Object.values(workflow.nodes).filter((node) => node.mode === "active").length;
}

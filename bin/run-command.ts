import { existsSync } from "node:fs";
import type { NodeSchema, Problem, Workflow } from "@infix/engine";
import type { ExecutionEvents } from "@infix/engine/host";
import type { EngineSetup } from "./engine-setup.ts";
import { formatProblem } from "./format-problem.ts";
import { applyLatentsOption } from "./latents-option.ts";
import { missingInputFiles } from "./local-files.ts";
import { expectedWork, RunProgress } from "./progress-bar.ts";
import { applySetOverrides, parseSetOption, type SetOverride } from "./set-option.ts";
import { readWorkflowFile } from "./workflow-file.ts";

/** Where `infix run` writes: its text goes to these (stderr for progress, stdout for results). */
export interface RunStreams {
  out: (line: string) => void;
  /** Progress and errors. `rewrite` replaces the current line (a TTY) instead of adding one. */
  err: (line: string, rewrite?: boolean) => void;
  isTty: boolean;
}

/** Run options beyond the workflow file. */
export interface RunOptions {
  /** Builds the engine (nodes, packs, folders) once the workflow file has been read. */
  setup: () => Promise<EngineSetup>;
  /** The data folder, to say so when this run creates it. */
  dataDir?: string;
  /** A .npy file for the workflow's Load Latent node (`--latents`). */
  latents?: string;
  /** `--set node.input=value` overrides, as typed. */
  set?: readonly string[];
}

/** Problem codes that mean the user's input is wrong (exit 2) rather than the run failing (exit 1). */
const INPUT_PROBLEMS = new Set(["invalid_input", "bad_file_name", "missing_file"]);

/**
 * `infix run <workflow.json>`: reads (and migrates) the workflow, applies `--set` and
 * `--latents`, checks it and its input files, runs it with a progress bar, and prints where
 * the outputs went. Returns the process exit code: 0 succeeded, 1 the run failed, 2 the
 * workflow or an input could not be used.
 *
 * @example process.exitCode = await runWorkflowFile("examples/hello.json", streams, { setup });
 */
export async function runWorkflowFile(
  file: string,
  streams: RunStreams,
  options: RunOptions,
  signal?: AbortSignal,
): Promise<number> {
  // Everything that can be checked without the engine is, so a typo costs no model loading.
  const read = await readWorkflowFile(file);
  if (!read.ok) return reportProblems(streams, read.headline, read.problems);
  const overrides: SetOverride[] = [];
  for (const text of options.set ?? []) {
    const parsed = parseSetOption(text);
    if ("code" in parsed) return reportProblems(streams, "the options cannot be used", [parsed]);
    overrides.push(parsed);
  }

  const createsData = options.dataDir !== undefined && !existsSync(options.dataDir);
  const setup = await options.setup();
  if (createsData)
    streams.err(
      `created the data folder ${options.dataDir} (input pictures, temp files; --data or INFIX_DATA to choose another)`,
    );
  const schemas = new Map<string, NodeSchema>(
    setup.registry.catalog(setup.resources).nodes.map((schema) => [schema.type, schema]),
  );
  const schemaOf = (type: string) => schemas.get(type);

  let workflow = read.workflow;
  if (overrides.length > 0) {
    const applied = applySetOverrides(workflow, overrides, schemaOf);
    if (!applied.ok) return reportProblems(streams, "--set cannot be used", applied.problems, workflow);
    workflow = applied.workflow;
  }
  if (options.latents !== undefined) {
    const applied = await applyLatentsOption(workflow, options.latents, setup.files.folders.input);
    if (!applied.ok)
      return reportProblems(streams, `--latents ${options.latents} cannot be used`, [applied.problem], workflow);
    workflow = applied.workflow;
  }
  const problems = [
    ...setup.executor.validate(workflow).map(inCliWords),
    ...missingInputFiles(workflow, schemaOf, setup.files.folders.input),
  ];
  if (problems.length > 0) return reportProblems(streams, `${file} cannot run`, problems, workflow);

  const progress = new RunProgress(expectedWork(workflow, schemaOf));
  const draw = () => streams.err(progress.line(), streams.isTty);
  const label = (nodeId: string) => workflow.nodes[nodeId]?.title ?? workflow.nodes[nodeId]?.type ?? nodeId;
  let lastDraw = 0;
  const events: ExecutionEvents = {
    nodeStarted: (nodeId) => {
      progress.started(nodeId, label(nodeId));
      if (streams.isTty) draw();
    },
    nodeCached: (nodeId) => progress.finished(nodeId),
    nodeFinished: (nodeId) => {
      progress.finished(nodeId);
      draw();
    },
    nodeFailed: () => undefined,
    progress: (nodeId, step, total) => {
      progress.step(nodeId, label(nodeId), step, total);
      // A TTY redraws at most 10 times a second; a log file gets node lines only.
      if (streams.isTty && Date.now() - lastDraw > 100) {
        lastDraw = Date.now();
        draw();
      }
    },
    preview: () => undefined,
  };
  const controller = new AbortController();
  signal?.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  const result = await setup.executor.execute({ workflow, signal: controller.signal, events });
  progress.settle([...result.ran, ...result.cached]);
  if (streams.isTty) streams.err("", true);

  if (result.status !== "succeeded") {
    if (result.status === "cancelled") {
      streams.err("cancelled");
      return 1;
    }
    const failure = result.problems ?? (result.error ? [result.error] : []);
    const invalidInput = failure.length > 0 && failure.every((problem) => INPUT_PROBLEMS.has(problem.code));
    return reportProblems(
      streams,
      invalidInput ? `${file} has an input that cannot be used` : "the run failed",
      failure,
      workflow,
      invalidInput ? 2 : 1,
    );
  }
  const folders = setup.files.folders;
  const written = Object.entries(result.ui).flatMap(([nodeId, ui]) => [
    ...(ui.images ?? []).map(
      (image) =>
        `${label(nodeId)} (node ${nodeId}): ${folders[image.folder]}/${image.name} (${image.width}×${image.height})`,
    ),
    ...(ui.text ?? []).map((text) => `${label(nodeId)} (node ${nodeId}): ${withRealPath(text, folders)}`),
  ]);
  streams.out(`done: ${result.ran.length} node(s) ran, ${result.cached.length} from cache`);
  for (const line of written) streams.out(line);
  streams.out(`outputs are in ${folders.output}`);
  return 0;
}

/**
 * A node's text that starts with a file reference (`output/dog.subject.json (…)`, as Save
 * Subject and Save Latent show it in the editor) with the folder replaced by where it really
 * is: `--output` may have put it anywhere.
 */
export function withRealPath(text: string, folders: Readonly<Record<string, string>>): string {
  const match = /^(input|output|temp)\/(\S+)/.exec(text);
  if (!match || folders[match[1]] === undefined) return text;
  return `${folders[match[1]]}/${match[2]}${text.slice(match[0].length)}`;
}

/** The validator speaks to the editor and the server; on the command line, say it for a file. */
function inCliWords(problem: Problem): Problem {
  if (problem.code !== "unknown_node_type" || problem.found === undefined) return problem;
  const guess = problem.suggestion === undefined ? "" : ` Did you mean '${problem.suggestion}'?`;
  return {
    ...problem,
    message: `'${problem.found}' is not a node type Infix knows.${guess} Correct the type in the workflow file, or delete the node.`,
  };
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

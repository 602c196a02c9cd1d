import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildCompiledCli, compiledCliIsFresh } from "../bin/cli-build.mjs";

/**
 * Start-up and end-to-end times of the real `infix` command, each run a new process (cold: no
 * warm V8, though the OS file cache is): `--help`, a workflow of test nodes that loads no
 * model, and the zero-shot example on the embedded tiny pack at its default 64 px. The
 * compiled CLI (dist/cli) is measured against the same sources through tsx.
 * Targets (issue 12): --help ≤ 0.3 s, the tiny example ≤ 1.5 s.
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const launcher = join(repoRoot, "bin", "infix.mjs");

export interface CliTiming {
  case: string;
  mode: "compiled" | "from source";
  medianMs: number;
  minMs: number;
  /** CPU time (user + system, all threads) of the median run: what the machine's load does not inflate. */
  cpuMs: number;
}

/** Preloaded into each run: reports the process's CPU time on stderr as it exits. */
const REPORT_CPU = `import { writeSync } from "node:fs";
process.on("exit", () => { const u = process.cpuUsage(); writeSync(2, "\\ninfix-bench-cpu-us " + (u.user + u.system) + "\\n"); });`;

function timeRuns(args: string[], env: NodeJS.ProcessEnv, cwd: string, runs: number): { ms: number; cpuMs: number }[] {
  const times: { ms: number; cpuMs: number }[] = [];
  const nodeOptions = `${env.NODE_OPTIONS ?? ""} --import=data:text/javascript,${encodeURIComponent(REPORT_CPU)}`;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, [launcher, ...args], {
      cwd,
      env: { ...env, NODE_OPTIONS: nodeOptions },
      encoding: "utf8",
    });
    const ms = performance.now() - start;
    if (result.status !== 0) throw new Error(`infix ${args.join(" ")} exited ${result.status}:\n${result.stderr}`);
    const cpu = /infix-bench-cpu-us (\d+)/.exec(result.stderr);
    times.push({ ms, cpuMs: cpu ? Number(cpu[1]) / 1000 : Number.NaN });
  }
  return times.sort((a, b) => a.ms - b.ms);
}

/**
 * Runs the benchmark and prints one line per case and mode.
 * @example await benchCli({ runs: 5 })
 */
export async function benchCli(options: { runs?: number } = {}): Promise<CliTiming[]> {
  const runs = options.runs ?? 5;
  if (!compiledCliIsFresh()) await buildCompiledCli();
  const dir = mkdtempSync(join(tmpdir(), "infix-bench-cli-"));
  try {
    const testWorkflow = join(dir, "numbers.json");
    writeFileSync(
      testWorkflow,
      JSON.stringify({
        format: "infix-workflow",
        version: 1,
        nodes: {
          "1": { type: "IntConstant", inputs: { value: 2 } },
          "2": { type: "AddInts", inputs: { a: { node: "1", output: "value" }, b: 3 } },
          "3": { type: "ShowValue", inputs: { value: { node: "2", output: "sum" } } },
        },
      }),
    );
    // The example at the tiny pack's default size, whatever size the example itself asks for.
    const example = join(repoRoot, "examples", "zero-shot-generation.json");
    const latent = (
      JSON.parse(readFileSync(example, "utf8")) as { nodes: { latent?: { inputs: Record<string, unknown> } } }
    ).nodes.latent;
    const size =
      typeof latent?.inputs.width === "number" ? ["--set", "latent.width=64", "--set", "latent.height=64"] : [];
    const cases: [string, string[]][] = [
      ["infix --help", ["--help"]],
      ["run: 3 test nodes, no model", ["run", testWorkflow, "--test-nodes", "--output", join(dir, "out")]],
      ["run: zero-shot example, tiny pack 64 px, 25 steps", ["run", example, ...size, "--output", join(dir, "out")]],
    ];
    const env = { ...process.env, INFIX_DATA: join(dir, "data"), INFIX_MODELS: join(dir, "no-models") };
    // One untimed run draws the example pictures and makes sure the tiny pack is built.
    timeRuns(cases[2][1], env, dir, 1);
    // Wall times on a shared machine mean little without its load beside them.
    console.log(
      `cli  (load average ${loadavg()
        .map((load) => load.toFixed(1))
        .join(" ")} on ${availableParallelism()} cores)`,
    );
    const timings: CliTiming[] = [];
    for (const [name, args] of cases) {
      for (const mode of ["compiled", "from source"] as const) {
        const times = timeRuns(args, { ...env, INFIX_FROM_SOURCE: mode === "compiled" ? "0" : "1" }, dir, runs);
        const median = times[Math.floor(times.length / 2)];
        const timing = { case: name, mode, medianMs: median.ms, minMs: times[0].ms, cpuMs: median.cpuMs };
        timings.push(timing);
        console.log(
          `cli  ${name.padEnd(50)} ${mode.padEnd(11)} median ${(timing.medianMs / 1000).toFixed(2)} s  min ${(timing.minMs / 1000).toFixed(2)} s  cpu ${(timing.cpuMs / 1000).toFixed(2)} s  (${runs} runs)`,
        );
      }
    }
    return timings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchCli();

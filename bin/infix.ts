import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import { defaultDataDir } from "./data-folder.ts";
import { findRepoRoot } from "./repo-root.ts";
import { LATENTS_OPTION_HELP } from "./latents-option.ts";
import { addPackCommands } from "./pack-command.ts";
import { withRuntimeOptions, type RuntimeCliOptions } from "./runtime-options.ts";

/**
 * The `infix` command: `infix serve` starts the studio, `infix run` runs a workflow headless,
 * `infix pack` makes and checks model packs. Each command imports its modules when it runs,
 * so `infix --help` loads commander and nothing else (no server, no onnxruntime).
 */

const repoRoot = findRepoRoot(fileURLToPath(import.meta.url));

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError("a port is a whole number from 0 to 65535");
  return port;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positiveMs(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 100) throw new InvalidArgumentError("a whole number of milliseconds, 100 or more");
  return ms;
}

/** `infix run`'s options as commander parses them. */
interface RunCliOptions extends RuntimeCliOptions {
  output: string;
  data?: string;
  models?: string;
  testNodes?: boolean;
  latents?: string;
  set?: string[];
}

const DATA_HELP = `data folder: queue, saved workflows, input/ and temp/ files (default $INFIX_DATA, else ${defaultDataDir({ ...process.env, INFIX_DATA: "" })})`;

const program = new Command()
  .name("infix")
  .description("Node-based workflow studio for subject-driven image generation with BLIP-Diffusion")
  .showHelpAfterError();

withRuntimeOptions(program.command("serve"))
  .description("start the studio (editor + API) on this machine")
  .option("--port <port>", "port to listen on (0 = any free port)", portNumber, 8188)
  .option("--host <host>", "interface to bind (127.0.0.1 = this machine only)", "127.0.0.1")
  .option("--data <dir>", DATA_HELP)
  .option("--output <dir>", "where saved images go (default <data>/output)")
  .option("--models <dir>", "folder of model packs (default $INFIX_MODELS)")
  .option("--auth-token <token>", "require 'Authorization: Bearer <token>' on every API request and socket")
  .option("--build-editor", "build the editor first if editor/dist is missing or stale")
  .option("--test-nodes", "serve only the engine's test nodes (for tests; no model packs)")
  .option(
    "--in-process",
    "run jobs on the server's own thread, not a worker thread (debugging: the server stalls during steps)",
  )
  .option(
    "--redis <url>",
    "farm mode: send jobs to `infix worker` processes through this Redis (redis://:password@host:port)",
  )
  .action(async (options: import("./serve-command.ts").ServeOptions) => {
    const { serveUntilStopped } = await import("./serve-command.ts");
    await serveUntilStopped(repoRoot, { ...options, data: options.data ?? defaultDataDir() });
  });

withRuntimeOptions(program.command("worker"))
  .description("run jobs for an `infix serve --redis` coordinator, pulling them from its Redis")
  .requiredOption("--redis <url>", "the farm's Redis, with its password (redis://:password@host:port)")
  .option("--data <dir>", "the data folder shared with the coordinator (inputs, outputs; default as serve's)")
  .option("--output <dir>", "where saved images go (default <data>/output; shared with the coordinator)")
  .option("--models <dir>", "folder of model packs (default $INFIX_MODELS)")
  .option("--test-nodes", "use only the engine's test nodes (for tests; no model packs)")
  .option("--name <name>", "this worker's name in logs (default host:pid)")
  .option("--lock-ms <ms>", "how long a dead worker's job stays locked before another takes it", positiveMs, 30_000)
  .action(async (options: import("./worker-command.ts").WorkerOptions) => {
    const log = (line: string) => console.error(line);
    const { startWorker } = await import("./worker-command.ts");
    const worker = await startWorker({ ...options, data: options.data ?? defaultDataDir() }, log);
    const stop = () => {
      log("stopping after the running job…");
      worker.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

withRuntimeOptions(program.command("run"))
  .description("run a workflow headless and print where its outputs went")
  .argument("<workflow>", "workflow JSON file")
  .option(
    "--set <node.input=value>",
    "set a node's input for this run (repeatable), e.g. --set sampler.seed=7 --set reference.image=./my-dog.jpg",
    collect,
  )
  .option("--output <dir>", "where saved images go", "output")
  .option("--data <dir>", DATA_HELP)
  .option("--models <dir>", "folder of model packs (default $INFIX_MODELS)")
  .option("--test-nodes", "use only the engine's test nodes (for tests; no model packs)")
  .option(
    "--latents <file.npy>",
    "start from these latents: the workflow's Load Latent node reads this .npy file (see below)",
  )
  .addHelpText(
    "after",
    `
Input files: a picture, subject or latent file named in the workflow or with --set may be an
absolute path or a path relative to the current folder; a relative name is looked up in the
data folder's input/ first (where the examples' pictures are).
${LATENTS_OPTION_HELP}`,
  )
  .action(async (file: string, options: RunCliOptions) => {
    const [{ createEngineSetup }, { runWorkflowFile }, { cacheBudgetFrom, sessionOptionsFrom }] = await Promise.all([
      import("./engine-setup.ts"),
      import("./run-command.ts"),
      import("./runtime-options.ts"),
    ]);
    const dataDir = options.data ?? defaultDataDir();
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort(new Error("interrupted")));
    process.exitCode = await runWorkflowFile(
      file,
      {
        out: (line) => console.log(line),
        err: (line, rewrite) =>
          rewrite ? process.stderr.write(`\r\x1b[2K${line}`) : process.stderr.write(`${line}\n`),
        isTty: process.stderr.isTTY === true,
      },
      {
        dataDir,
        latents: options.latents,
        set: options.set,
        setup: () =>
          createEngineSetup({
            dataDir,
            outputDir: options.output,
            modelsDir: options.models,
            testNodes: options.testNodes,
            localFiles: true,
            sessionOptions: sessionOptionsFrom(options, (message) => console.error(`warning: ${message}`)),
            cacheBudgetBytes: cacheBudgetFrom(options),
          }),
      },
      controller.signal,
    );
    // onnxruntime and sharp keep worker threads; a finished run should not wait on them.
    process.exit();
  });

addPackCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`infix: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}

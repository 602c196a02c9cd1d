import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import { createEngineSetup } from "./engine-setup.ts";
import { LATENTS_OPTION_HELP } from "./latents-option.ts";
import { runWorkflowFile } from "./run-command.ts";
import { cacheBudgetFrom, sessionOptionsFrom, withRuntimeOptions, type RuntimeCliOptions } from "./runtime-options.ts";
import { serve, type ServeOptions } from "./serve-command.ts";
import { startWorker, type WorkerOptions } from "./worker-command.ts";

/** The `infix` command: `infix serve` starts the studio, `infix run` runs a workflow headless. */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError("a port is a whole number from 0 to 65535");
  return port;
}

function positiveMs(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 100) throw new InvalidArgumentError("a whole number of milliseconds, 100 or more");
  return ms;
}

/** `infix run`'s options as commander parses them. */
interface RunCliOptions extends RuntimeCliOptions {
  output: string;
  data: string;
  models?: string;
  testNodes?: boolean;
  latents?: string;
}

const program = new Command()
  .name("infix")
  .description("Node-based workflow studio for subject-driven image generation with BLIP-Diffusion")
  .showHelpAfterError();

withRuntimeOptions(program.command("serve"))
  .description("start the studio (editor + API) on this machine")
  .option("--port <port>", "port to listen on (0 = any free port)", portNumber, 8188)
  .option("--host <host>", "interface to bind (127.0.0.1 = this machine only)", "127.0.0.1")
  .option("--data <dir>", "data folder: queue, saved workflows, input/output/temp files", "data")
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
  .action(async (options: ServeOptions) => {
    const log = (line: string) => console.error(line);
    // A stray rejection in a node or a library must not take the studio down with the queue in it.
    process.on("unhandledRejection", (reason) =>
      log(
        `unhandled error (the server keeps running): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
      ),
    );
    const server = await serve(repoRoot, options, log);
    const stop = () => {
      log("stopping…");
      // A node deep in an ONNX call cannot stop mid-step; do not wait on it forever.
      setTimeout(() => process.exit(1), 10_000).unref();
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

withRuntimeOptions(program.command("worker"))
  .description("run jobs for an `infix serve --redis` coordinator, pulling them from its Redis")
  .requiredOption("--redis <url>", "the farm's Redis, with its password (redis://:password@host:port)")
  .option("--data <dir>", "the data folder shared with the coordinator (inputs, outputs)", "data")
  .option("--output <dir>", "where saved images go (default <data>/output; shared with the coordinator)")
  .option("--models <dir>", "folder of model packs (default $INFIX_MODELS)")
  .option("--test-nodes", "use only the engine's test nodes (for tests; no model packs)")
  .option("--name <name>", "this worker's name in logs (default host:pid)")
  .option("--lock-ms <ms>", "how long a dead worker's job stays locked before another takes it", positiveMs, 30_000)
  .action(async (options: WorkerOptions) => {
    const log = (line: string) => console.error(line);
    const worker = await startWorker(options, log);
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
  .option("--output <dir>", "where saved images go", "output")
  .option("--data <dir>", "data folder for input/ and temp/ files", "data")
  .option("--models <dir>", "folder of model packs (default $INFIX_MODELS)")
  .option("--test-nodes", "use only the engine's test nodes (for tests; no model packs)")
  .option(
    "--latents <file.npy>",
    "start from these latents: the workflow's Load Latent node reads this .npy file (see below)",
  )
  .addHelpText("after", LATENTS_OPTION_HELP)
  .action(async (file: string, options: RunCliOptions) => {
    const setup = await createEngineSetup({
      dataDir: options.data,
      outputDir: options.output,
      modelsDir: options.models,
      testNodes: options.testNodes,
      sessionOptions: sessionOptionsFrom(options, (message) => console.error(`warning: ${message}`)),
      cacheBudgetBytes: cacheBudgetFrom(options),
    });
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort(new Error("interrupted")));
    process.exitCode = await runWorkflowFile(
      file,
      setup,
      {
        out: (line) => console.log(line),
        err: (line, rewrite) =>
          rewrite ? process.stderr.write(`\r\x1b[2K${line}`) : process.stderr.write(`${line}\n`),
        isTty: process.stderr.isTTY === true,
      },
      controller.signal,
      { latents: options.latents },
    );
    // onnxruntime and sharp keep worker threads; a finished run should not wait on them.
    process.exit();
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`infix: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}

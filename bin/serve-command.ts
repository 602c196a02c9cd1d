import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { createServer, folderExamples, type InfixServer } from "../engine/src/server/index.ts";
import { BullmqDispatcher } from "../engine/src/queue/bullmq/bullmq-dispatcher.ts";
import { redactRedisUrl } from "../engine/src/queue/bullmq/farm-protocol.ts";
import { WorkerExecutor } from "../engine/src/worker/worker-executor.ts";
import { buildEditorIfStale } from "./build-editor.ts";
import { createEngineSetup } from "./engine-setup.ts";
import { cacheBudgetFrom, sessionOptionsFrom, type RuntimeCliOptions } from "./runtime-options.ts";

/** `infix serve`'s options as commander parses them. */
export interface ServeOptions extends RuntimeCliOptions {
  port: number;
  host: string;
  data: string;
  output?: string;
  models?: string;
  authToken?: string;
  buildEditor?: boolean;
  testNodes?: boolean;
  /** Run jobs on the server's own thread instead of a worker thread (debugging; the server stalls during steps). */
  inProcess?: boolean;
  /** `redis://:password@host:port`: jobs go to `infix worker` processes through BullMQ on this Redis. */
  redis?: string;
}

/** Where to read how to install real weights (shown by the editor's tiny-pack banner). */
const INSTALL_HELP =
  "The built-in tiny pack makes meaningless pictures. Convert BLIP-Diffusion weights into a model pack (see docs in the README, 'Model packs') and start with --models <folder>.";

/**
 * `infix serve`: builds the editor if asked, wires the engine and nodes, starts the server and
 * prints its URL. Resolves to the running server (the caller stops it on SIGINT).
 */
export async function serve(
  repoRoot: string,
  options: ServeOptions,
  log: (line: string) => void,
): Promise<InfixServer> {
  if (options.buildEditor) await buildEditorIfStale(repoRoot, log);
  const setup = await createEngineSetup({
    dataDir: options.data,
    outputDir: options.output,
    modelsDir: options.models,
    testNodes: options.testNodes,
    sessionOptions: sessionOptionsFrom(options, (message) => log(`warning: ${message}`)),
    cacheBudgetBytes: cacheBudgetFrom(options),
    log,
  });
  const packs = await setup.packs();
  // Jobs run in a worker thread with its own engine setup (executor, sessions, output cache);
  // this process keeps the registry for the catalog and validation.
  // In farm mode (--redis) no job runs here: `infix worker` processes pull them from Redis.
  const farm = options.redis
    ? await BullmqDispatcher.start({
        redisUrl: options.redis,
        validate: (workflow, targets) => setup.executor.validate(workflow, targets),
        log,
      })
    : undefined;
  if (farm) log(`jobs go to the workers on ${redactRedisUrl(options.redis!)}`);
  const worker =
    options.inProcess || farm
      ? undefined
      : await WorkerExecutor.start({
          entry: new URL("./executor-worker.mjs", import.meta.url),
          workerData: {
            data: options.data,
            output: options.output,
            models: options.models,
            testNodes: options.testNodes,
            device: options.device,
            threads: options.threads,
            graphOptimization: options.graphOptimization,
            sessionMemoryMb: options.sessionMemoryMb,
            cacheMb: options.cacheMb,
          },
          validate: (workflow, targets) => setup.executor.validate(workflow, targets),
          log,
        });
  const editorDist = join(repoRoot, "editor", "dist");
  const server = await createServer({
    host: options.host,
    port: options.port,
    dataDir: resolve(options.data),
    executor: worker ?? setup.executor,
    dispatcher: farm,
    catalog: () => setup.registry.catalog(setup.resources),
    files: setup.files,
    uploadKinds: setup.registry.uploadKinds(),
    examples: folderExamples(join(repoRoot, "examples")),
    packs: setup.packs,
    // In farm mode each worker holds its own cache; this process runs nothing, so it has none to show.
    cache: farm ? undefined : (worker?.cache ?? setup.cache),
    config: { tinyPackOnly: !options.testNodes && packs.every((pack) => pack.embedded), installHelp: INSTALL_HELP },
    editorDist: existsSync(join(editorDist, "index.html")) ? editorDist : undefined,
    authToken: options.authToken,
    log,
  });
  if (farm) {
    const closeServer = server.close.bind(server);
    server.close = async () => {
      await closeServer();
      await farm.close();
    };
  }
  log(`Infix is running at ${server.url}`);
  if (options.host !== "127.0.0.1" && options.host !== "localhost") {
    log(
      `warning: listening on ${options.host}: anyone who can reach this address can use the studio${options.authToken ? "" : " (consider --auth-token)"}`,
    );
  }
  return server;
}

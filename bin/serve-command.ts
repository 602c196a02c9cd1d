import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { WorkerExecutor } from "@infix/engine/host";
import {
  createServer,
  folderExamples,
  type InfixServer,
  BullmqDispatcher,
  DEFAULT_FARM_QUEUE,
  redactRedisUrl,
  farmSocketAdapter,
} from "@infix/engine/server";
import { buildEditorIfStale } from "./build-editor.ts";
import { engineCliOptions, engineSetupFromCli } from "./cli-engine-setup.ts";
import type { RuntimeCliOptions } from "./runtime-options.ts";
import { jobLine, startBanner } from "./server-console.ts";

/** `infix serve`'s options as commander parses them (the data folder already defaulted). */
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
  /** Farm mode without cache affinity (every job to the shared queue): for the bench's comparison. */
  noCacheAffinity?: boolean;
}

/** A start-up failure the user can fix, said in words (exit 2) instead of a stack trace. */
export class ServeError extends Error {}

/**
 * `infix serve`: builds the editor if asked, wires the engine and nodes, starts the server and
 * prints where its folders and packs are, its URL, then one line per finished job. Resolves
 * to the running server (the caller stops it on SIGINT).
 */
export async function serve(
  repoRoot: string,
  options: ServeOptions,
  log: (line: string) => void,
): Promise<InfixServer> {
  if (options.buildEditor) await buildEditorIfStale(repoRoot, log);
  const setup = await engineSetupFromCli(options, log);
  const packages = await setup.packageInfo();
  // Jobs run in a worker thread with its own engine setup (executor, sessions, output cache);
  // this process keeps the registry for the catalog and validation.
  // In farm mode (--redis) no job runs here: `infix worker` processes pull them from Redis.
  const farm = options.redis
    ? await BullmqDispatcher.start({
        redisUrl: options.redis,
        validate: (workflow, targets) => setup.executor.validate(workflow, targets),
        // Cache affinity: the job goes to the worker whose cache holds most of these keys.
        cacheKeys: options.noCacheAffinity
          ? undefined
          : async (workflow, targets) => (await setup.executor.cacheKeys?.(workflow, targets))?.values(),
        // Stable across restarts of this studio, so a restart drops its own leftovers in Redis only.
        coordinatorId: `${hostname()}:${resolve(options.data)}`,
        log,
      })
    : undefined;
  if (farm) log(`jobs go to the workers on ${redactRedisUrl(options.redis!)}`);
  // Several coordinators may serve one farm: socket events travel between them through Redis.
  const sockets = options.redis ? farmSocketAdapter(options.redis, DEFAULT_FARM_QUEUE, log) : undefined;
  const worker =
    options.inProcess || farm
      ? undefined
      : await WorkerExecutor.start({
          entry: new URL("./executor-worker.mjs", import.meta.url),
          workerData: engineCliOptions(options),
          validate: (workflow, targets) => setup.executor.validate(workflow, targets),
          log,
        });
  const editorDist = join(repoRoot, "editor", "dist");
  let server: InfixServer;
  try {
    server = await createServer({
      host: options.host,
      port: options.port,
      dataDir: resolve(options.data),
      executor: worker ?? setup.executor,
      dispatcher: farm,
      socketAdapter: sockets?.adapter,
      catalog: () => setup.registry.catalog(setup.resources),
      files: setup.files,
      uploadKinds: setup.registry.uploadKinds(),
      examples: folderExamples(join(repoRoot, "examples")),
      packages: setup.packageInfo,
      // In farm mode each worker holds its own cache; this process runs nothing, so it has none to show.
      cache: farm ? undefined : (worker?.cache ?? setup.cache),
      editorDist: existsSync(join(editorDist, "index.html")) ? editorDist : undefined,
      authToken: options.authToken,
      log,
    });
  } catch (error) {
    await worker?.close();
    await farm?.close();
    sockets?.close();
    throw listenError(error, options) ?? error;
  }
  if (farm) {
    const closeServer = server.close.bind(server);
    server.close = async () => {
      await closeServer();
      await farm.close();
      sockets?.close();
    };
  }
  server.queue.subscribe((event) => {
    if (event.name !== "job:succeeded" && event.name !== "job:failed" && event.name !== "job:cancelled") return;
    const job = server.queue.get(event.payload.jobId);
    if (job) log(jobLine(job, setup.files.folders));
  });
  const modelsDir = options.models ?? process.env.INFIX_MODELS;
  for (const line of startBanner({
    url: server.url,
    dataDir: resolve(options.data),
    folders: setup.files.folders,
    modelsDir: modelsDir ? resolve(modelsDir) : undefined,
    packages,
    testNodes: options.testNodes,
  }))
    log(line);
  if (options.host !== "127.0.0.1" && options.host !== "localhost") {
    log(
      `warning: listening on ${options.host}: anyone who can reach this address can use the studio${options.authToken ? "" : " (consider --auth-token)"}`,
    );
  }
  return server;
}

/** A busy port or an address this machine does not have, as a sentence with the way out. */
export function listenError(error: unknown, options: Pick<ServeOptions, "port" | "host">): ServeError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EADDRINUSE")
    return new ServeError(
      `port ${options.port} on ${options.host} is already in use (another Infix?); stop it, or start with --port ${options.port + 1} (or --port 0 for any free port)`,
    );
  if (code === "EACCES")
    return new ServeError(
      `port ${options.port} needs administrator rights on this system; pick one above 1023 with --port`,
    );
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND")
    return new ServeError(
      `${options.host} is not an address of this machine; use --host 127.0.0.1 (or 0.0.0.0 for every interface)`,
    );
  return undefined;
}

/** `infix serve` as a process: serves until SIGINT/SIGTERM, then closes the queue cleanly. */
export async function serveUntilStopped(repoRoot: string, options: ServeOptions): Promise<void> {
  const log = (line: string) => console.error(line);
  // A stray rejection in a node or a library must not take the studio down with the queue in it.
  process.on("unhandledRejection", (reason) =>
    log(
      `unhandled error (the server keeps running): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
    ),
  );
  let server: InfixServer;
  try {
    server = await serve(repoRoot, options, log);
  } catch (error) {
    if (!(error instanceof ServeError)) throw error;
    log(`infix: ${error.message}`);
    process.exit(2);
  }
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
}

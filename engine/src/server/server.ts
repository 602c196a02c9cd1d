import { randomBytes } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import express from "express";
import { Server as SocketServer, type ServerOptions as SocketServerOptions } from "socket.io";
import type { WorkflowExecutor } from "../execution/types.ts";
import { FileStore } from "../files/file-store.ts";
import { WorkflowStore } from "../files/workflow-store.ts";
import type { NodeCatalog } from "../graph/node-schema.ts";
import type { UploadKind } from "../nodes/definition.ts";
import type { JobDispatcher } from "../queue/dispatcher.ts";
import { JobQueue } from "../queue/job-queue.ts";
import { JournalJobStore, type JournalOptions } from "../queue/journal.ts";
import { editorPages } from "./editor-pages.ts";
import { folderExamples, type ExamplesProvider } from "./examples.ts";
import { errorHandler, sendError } from "./http-errors.ts";
import type { Config, NodePackageInfo } from "../protocol/index.ts";
import { fileRoutes, RAW_BODY_ROUTES } from "./routes/files.ts";
import { infoRoutes, type CacheControl } from "./routes/info.ts";
import { jobRoutes, refuseWhenFull } from "./routes/jobs.ts";
import { DEFAULT_MAX_PIXELS } from "../runtime/image/decode.ts";
import {
  declaredLengthGuard,
  DEFAULT_LIMITS,
  jsonBodyCap,
  jsonBodyParser,
  workflowLimits,
  type BoundaryLimits,
} from "./limits.ts";
import { workflowRoutes } from "./routes/workflows.ts";
import { checkRequest, checkSocketAuth, hostPolicy, securityMiddleware, type SecurityPolicy } from "./security.ts";
import { bridgeQueueToSockets, type BridgeOptions, type InfixSocketServer } from "./socket-bridge.ts";

export interface ServerOptions {
  /** Interface to bind; default 127.0.0.1 (only this machine). */
  host?: string;
  /** Port; default 8188, 0 picks a free one (tests). */
  port?: number;
  /** Holds queue.jsonl, workflows/, and (unless `files` is given) input/, output/, temp/. */
  dataDir: string;
  executor: WorkflowExecutor;
  /** Runs the jobs instead of `executor` (a farm of workers); `executor` still validates. */
  dispatcher?: JobDispatcher;
  /** The node catalog served at /api/nodes (with dynamic options filled in). */
  catalog: () => NodeCatalog;
  /** The file folders; pass the same store the executor's FileAccess uses. Default: under dataDir. */
  files?: FileStore;
  /** Example workflows; default none. */
  examples?: ExamplesProvider;
  /** What the node packages offer besides node types (`NodeRegistry.packageInfo`); default nothing. */
  packages?: () => NodePackageInfo[] | Promise<NodePackageInfo[]>;
  config?: { version?: string };
  /** The built editor (editor/dist); absent = a page saying how to build it. */
  editorDist?: string;
  /**
   * File kinds the node packages read, accepted by /api/uploads besides the built-in images and
   * `.npy` arrays (`NodeRegistry.uploadKinds()`); default none.
   */
  uploadKinds?: readonly UploadKind[];
  /** Upload cap in bytes; default 25 MiB. */
  maxUploadBytes?: number;
  /** Largest picture (width × height, read from its header) accepted at upload; default DEFAULT_MAX_PIXELS. */
  maxImagePixels?: number;
  /** Bytes the input folder may hold; uploads past it get 413. Default 2 GiB (see the README). */
  inputBudgetBytes?: number;
  /** Limits on request bodies and workflows (limits.ts); defaults in DEFAULT_LIMITS. */
  limits?: Partial<BoundaryLimits>;
  /** Time a request may take to arrive, headers and body; default 60 s. */
  requestTimeoutMs?: number;
  /**
   * When set, every /api request, socket and page needs `Authorization: Bearer <authToken>`, or
   * the HttpOnly cookie a browser gets by opening `/?token=<authToken>` once (security.ts).
   */
  authToken?: string;
  /** The executor's output cache, for /api/cache. */
  cache?: CacheControl;
  /** Finished jobs kept in the history; default 100. */
  historyLimit?: number;
  /** Bytes of finished jobs (their workflows) kept in the history; default 16 MiB. */
  historyBytes?: number;
  /** Socket bounds: jobs one socket may watch, jobs the `queue` summary lists. */
  sockets?: BridgeOptions;
  /** How many jobs may wait; default 1000 (a submission beyond gets 429). */
  maxQueuedJobs?: number;
  /** When the queue journal compacts (tests force frequent compactions). */
  journal?: Omit<JournalOptions, "log">;
  /** Where server-side errors are reported; default console.error. */
  log?: (message: string) => void;
  /**
   * socket.io's adapter: the Redis adapter when several coordinators serve one farm, so a
   * client connected to one gets the events another emits. Default: in-process.
   */
  socketAdapter?: Partial<SocketServerOptions>["adapter"];
}

export interface InfixServer {
  /** `http://host:port` */
  url: string;
  port: number;
  /** The per-server token state-changing requests must carry as `x-infix-token`. */
  token: string;
  queue: JobQueue;
  files: FileStore;
  /** Stops accepting, aborts the running job (it reads as interrupted after a restart), closes sockets. */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8188;
export const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
export const DEFAULT_INPUT_BUDGET_BYTES = 2 * 1024 ** 3;
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/**
 * Starts the Infix server: REST API and socket.io events per the protocol (engine/src/protocol), the job queue
 * persisted under `dataDir`, the built editor's pages.
 *
 * @example
 * const server = await createServer({ dataDir: "./data", executor, catalog: () => registry.catalog() });
 * console.log(`open ${server.url}`);
 */
export async function createServer(options: ServerOptions): Promise<InfixServer> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? ((message: string) => console.error(message));
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const limits: BoundaryLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const token = randomBytes(24).toString("base64url");
  const files = options.files ?? (await FileStore.open(FileStore.foldersUnder(options.dataDir)));
  const queue = new JobQueue({
    executor: options.executor,
    dispatcher: options.dispatcher,
    store: new JournalJobStore(join(options.dataDir, "queue.jsonl"), { ...options.journal, log }),
    historyLimit: options.historyLimit,
    historyBytes: options.historyBytes,
    maxQueuedJobs: options.maxQueuedJobs,
    log,
  });
  const config: Config = {
    version: options.config?.version ?? "0.1.0",
    maxUploadBytes,
  };

  const requestedPort = options.port ?? DEFAULT_PORT;
  const policy: SecurityPolicy = {
    csrfToken: token,
    authToken: options.authToken,
    pageSession: randomBytes(24).toString("base64url"),
    hostAllowed: hostPolicy(host),
  };

  const app = express();
  app.disable("x-powered-by");
  app.use(securityMiddleware(policy));
  const api = express.Router();
  // Limits at the boundary (limits.ts): a declared length over the route's cap is refused
  // before the body is read; JSON bodies are scanned for depth and size before parsing, and a
  // workflow's nodes, links and names are checked before the queue or the store see it.
  // Uploads have their own raw parser and cap, and must reach it unparsed: a browser sends a
  // declared `.json` kind as application/json.
  api.use(refuseWhenFull(queue));
  api.use(declaredLengthGuard((req) => (RAW_BODY_ROUTES.has(req.path) ? maxUploadBytes : jsonBodyCap(limits, req))));
  const jsonBody = jsonBodyParser(limits);
  api.use((req, res, next) => (RAW_BODY_ROUTES.has(req.path) ? next() : jsonBody(req, res, next)));
  api.use(workflowLimits(limits));
  api.use(
    infoRoutes({
      config,
      catalog: options.catalog,
      packages: options.packages ?? (() => []),
      examples: options.examples ?? folderExamples(join(options.dataDir, "examples")),
      cache: options.cache,
    }),
  );
  api.use(jobRoutes(queue));
  api.use(workflowRoutes(new WorkflowStore(join(options.dataDir, "workflows"))));
  api.use(
    fileRoutes(files, {
      maxUploadBytes,
      uploadKinds: options.uploadKinds ?? [],
      maxImagePixels: options.maxImagePixels ?? DEFAULT_MAX_PIXELS,
      inputBudgetBytes: options.inputBudgetBytes ?? DEFAULT_INPUT_BUDGET_BYTES,
    }),
  );
  api.use((req, res) => sendError(res, 404, `no route ${req.method} /api${req.path}`));
  app.use("/api", api);
  app.use(editorPages(options.editorDist, token));
  app.use(errorHandler(log));

  // A request that trickles in is cut off with 408 (Node's default waits 300 s and checks every
  // 30 s), so slow clients cannot hold sockets.
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const http = createHttpServer(
    {
      requestTimeout,
      headersTimeout: Math.min(requestTimeout, 20_000),
      connectionsCheckingInterval: Math.max(50, Math.min(1000, requestTimeout / 4)),
    },
    app,
  );
  const io: InfixSocketServer = new SocketServer(http, {
    serveClient: false,
    // Clients only send `jobs:watch` / `jobs:unwatch` (100 ids at most): socket.io's 1 MB default is far more than they need.
    maxHttpBufferSize: 16 * 1024,
    ...(options.socketAdapter ? { adapter: options.socketAdapter } : {}),
    allowRequest: (req, callback) => {
      const refusal = checkRequest(policy, req, "socket");
      callback(refusal, refusal === null);
    },
  });
  io.use((socket, next) => {
    const refusal = checkSocketAuth(policy, socket.handshake);
    next(refusal === null ? undefined : new Error(refusal));
  });
  const unbridge = bridgeQueueToSockets(queue, io, log, {
    ...options.sockets,
    sharedAdapter: options.socketAdapter !== undefined,
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(requestedPort, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    token,
    queue,
    files,
    close() {
      closing ??= (async () => {
        unbridge();
        await queue.close();
        await options.executor.close?.();
        await new Promise<void>((resolve) => {
          io.close(() => resolve());
          http.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

import sharp from "sharp";
import type { Server as SocketServer, Socket } from "socket.io";
import type { PreviewImage } from "../nodes/definition.ts";
import type { JobQueue, QueueEvent } from "../queue/job-queue.ts";
import {
  MAX_WATCHED_JOBS,
  WatchJobsSchema,
  type ClientToServerEvents,
  type QueueState,
  type ServerToClientEvents,
  type WatchReply,
} from "../protocol/index.ts";

export type InfixSocketServer = SocketServer<ClientToServerEvents, ServerToClientEvents>;
type InfixSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export interface BridgeOptions {
  /** Most jobs one socket may watch at once (default {@link MAX_WATCHED_JOBS}). */
  maxWatchedJobs?: number;
  /** Waiting and finished jobs the socket's `queue` summary lists, each (default 20). */
  summaryJobs?: number;
  /** Set when several coordinators share socket rooms through an adapter (the farm's Redis adapter). */
  sharedAdapter?: boolean;
}

/** The socket.io room of a job's watchers; prefixed so no job id can name a socket's own room. */
export function jobRoom(jobId: string): string {
  return `job:${jobId}`;
}

/**
 * Forwards queue events to sockets. A job's events (lifecycle, node states, progress, previews)
 * go only to its room: the socket that submitted it (its `clientId`) joins at admission, before
 * the first event, and others join with `jobs:watch`; everyone leaves when the job ends. The
 * queue-wide `queue` event, sent to all, is a bounded summary (the queue throttles it). Sending
 * every event to every socket cost a quarter of the server's CPU in socket writes with 20 soak
 * clients. Returns the function that disconnects the bridge.
 */
export function bridgeQueueToSockets(
  queue: JobQueue,
  io: InfixSocketServer,
  log: (message: string) => void,
  options: BridgeOptions = {},
): () => void {
  const maxWatched = options.maxWatchedJobs ?? MAX_WATCHED_JOBS;
  const summaryJobs = options.summaryJobs ?? 20;
  const watchedCount = (socket: InfixSocket) => socket.rooms.size - (socket.rooms.has(socket.id) ? 1 : 0);

  io.on("connection", (socket) => {
    socket.emit("queue", queueSummary(queue.state(summaryJobs), summaryJobs));
    socket.on("jobs:watch", (jobIds: unknown, ack?: unknown) => {
      const reply = watch(socket, jobIds);
      if (typeof ack === "function") (ack as (reply: WatchReply) => void)(reply);
    });
    socket.on("jobs:unwatch", (jobIds: unknown) => {
      const parsed = WatchJobsSchema.safeParse(jobIds);
      if (parsed.success) for (const id of parsed.data) void socket.leave(jobRoom(id));
    });
  });

  /** Joins the rooms of known unfinished jobs (within the cap) and sends each known job's state. */
  function watch(socket: InfixSocket, jobIds: unknown): WatchReply {
    const parsed = WatchJobsSchema.safeParse(jobIds);
    if (!parsed.success)
      return { watching: [], unknown: [], error: "jobs:watch takes a list of 1 to 100 job ids (strings)" };
    const reply: WatchReply = { watching: [], unknown: [] };
    for (const id of new Set(parsed.data)) {
      const job = queue.get(id);
      if (!job) {
        reply.unknown.push(id);
        continue;
      }
      const ended = job.status !== "queued" && job.status !== "running";
      if (!ended && socket.rooms.has(jobRoom(id))) {
        // Watched already: its state went out then, and its events since.
        reply.watching.push(id);
        continue;
      }
      if (!ended) {
        if (watchedCount(socket) >= maxWatched) {
          reply.error = `a socket may watch at most ${maxWatched} jobs; unwatch some first`;
          break;
        }
        void socket.join(jobRoom(id));
        reply.watching.push(id);
      }
      socket.emit("job:state", job);
    }
    return reply;
  }

  /** The submitter's socket joins the job's room before the job's first event goes out. */
  function joinSubmitter(jobId: string, clientId: string | undefined): void {
    if (clientId === undefined) return;
    const socket = io.sockets.sockets.get(clientId);
    if (!socket) {
      // The submitter may be connected to another coordinator of the same farm: its socket is in a
      // room named by its id, and the Redis adapter carries the join there (no cap check possible).
      if (options.sharedAdapter) void io.in(clientId).socketsJoin(jobRoom(jobId));
      return;
    }
    if (watchedCount(socket) >= maxWatched) {
      log(`socket ${clientId} already watches ${maxWatched} jobs: job ${jobId}'s events do not go to it`);
      return;
    }
    void socket.join(jobRoom(jobId));
  }

  // With a shared adapter a watcher may sit on another coordinator, where rooms are not visible here.
  const hasWatchers = (jobId: string) =>
    options.sharedAdapter === true || (io.sockets.adapter.rooms.get(jobRoom(jobId))?.size ?? 0) > 0;

  /** Per job, the previews still being encoded (PNG encoding is asynchronous). */
  const encoding = new Map<string, Promise<void>>();
  function leaveWhenEncoded(jobId: string): void {
    const pending = encoding.get(jobId);
    if (!pending) return void io.socketsLeave(jobRoom(jobId));
    void pending.then(() => io.socketsLeave(jobRoom(jobId)));
  }

  return queue.subscribe((event) => {
    switch (event.name) {
      case "queue":
        // Each coordinator's clients see its own queue: never broadcast it through a shared adapter.
        io.local.emit("queue", queueSummary(event.payload, summaryJobs));
        return;
      case "preview": {
        const { jobId, nodeId, image } = event.payload;
        // Encoding a PNG nobody will see is wasted event-loop time.
        if (!hasWatchers(jobId)) return;
        const sent = previewDataUrl(image).then(
          (url) => void io.to(jobRoom(jobId)).emit("preview", { jobId, nodeId, image: url }),
          (error: unknown) => log(`preview of node ${nodeId} could not be encoded: ${String(error)}`),
        );
        const before = encoding.get(jobId);
        const all = before ? Promise.all([before, sent]).then(() => undefined) : sent;
        encoding.set(jobId, all);
        void all.then(() => {
          if (encoding.get(jobId) === all) encoding.delete(jobId);
        });
        return;
      }
      case "job:state":
        emitToJob(io, event.payload.id, event);
        return;
      case "job:queued":
        joinSubmitter(event.payload.id, event.payload.clientId);
        emitToJob(io, event.payload.id, event);
        return;
      case "job:succeeded":
      case "job:failed":
      case "job:cancelled":
        emitToJob(io, event.payload.jobId, event);
        // The job sends nothing more: its room goes, so rooms stay bounded by the live jobs; a
        // preview still being encoded (it often ends after a short job) reaches the room first.
        leaveWhenEncoded(event.payload.jobId);
        return;
      default:
        emitToJob(io, event.payload.jobId, event);
    }
  });
}

/** Emits a (non-preview, non-queue) event to its job's room; the payload types match by construction of QueueEventMap. */
function emitToJob(io: InfixSocketServer, jobId: string, event: Exclude<QueueEvent, { name: "preview" | "queue" }>) {
  const room = io.to(jobRoom(jobId));
  const emit = room.emit.bind(room) as (name: string, payload: unknown) => boolean;
  emit(event.name, event.payload);
}

/**
 * The queue as the socket summary: every running job, the first `limit` waiting ones and the
 * newest `limit` finished ones, with how many it leaves out. A full queue (1,000 jobs) sent to
 * every socket on every change was most of the server's socket traffic under load.
 *
 * @example queueSummary(queue.state(), 20).omitted // { queued: 0, finished: 3 }
 */
export function queueSummary(state: QueueState, limit: number): QueueState {
  const running = state.jobs.filter((job) => job.status === "running");
  const queued = state.jobs.filter((job) => job.status === "queued");
  const finished = state.jobs.filter((job) => job.status !== "running" && job.status !== "queued");
  return {
    paused: state.paused,
    jobs: [...running, ...queued.slice(0, limit), ...finished.slice(0, limit)],
    omitted: {
      queued: Math.max(0, queued.length - limit) + (state.omitted?.queued ?? 0),
      finished: Math.max(0, finished.length - limit) + (state.omitted?.finished ?? 0),
    },
  };
}

/**
 * A PreviewImage (packed RGB) as a `data:image/png;base64,...` URL.
 *
 * @example await previewDataUrl({ width: 1, height: 1, rgb: new Uint8Array([255, 0, 0]) })
 */
export async function previewDataUrl(image: PreviewImage): Promise<string> {
  if (image.rgb.length !== image.width * image.height * 3) {
    throw new RangeError(
      `preview is ${image.width}×${image.height} but has ${image.rgb.length} bytes, not ${image.width * image.height * 3}`,
    );
  }
  const png = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString("base64")}`;
}

import sharp from "sharp";
import type { Server as SocketServer } from "socket.io";
import type { PreviewImage } from "../nodes/definition.ts";
import type { JobQueue, QueueEvent } from "../queue/job-queue.ts";
import type { ClientToServerEvents, ServerToClientEvents } from "../protocol/index.ts";

export type InfixSocketServer = SocketServer<ClientToServerEvents, ServerToClientEvents>;

/**
 * Forwards queue events to every socket, encoding previews (raw RGB) as PNG data URLs, and
 * greets each new socket with the queue and the full state of each running job so a reloaded
 * editor catches up. Returns the function that disconnects the bridge.
 */
export function bridgeQueueToSockets(
  queue: JobQueue,
  io: InfixSocketServer,
  log: (message: string) => void,
): () => void {
  io.on("connection", (socket) => {
    socket.emit("queue", queue.state());
    for (const running of queue.runningJobs()) socket.emit("job:state", running);
  });
  return queue.subscribe((event) => {
    if (event.name === "preview") {
      const { jobId, nodeId, image } = event.payload;
      previewDataUrl(image).then(
        (url) => io.emit("preview", { jobId, nodeId, image: url }),
        (error: unknown) => log(`preview of node ${nodeId} could not be encoded: ${String(error)}`),
      );
      return;
    }
    emitQueueEvent(io, event);
  });
}

/** Emits a (non-preview) queue event under its own name; the payload types match by construction of QueueEventMap. */
function emitQueueEvent(io: InfixSocketServer, event: Exclude<QueueEvent, { name: "preview" }>): void {
  const emit = io.emit.bind(io) as (name: string, payload: unknown) => boolean;
  emit(event.name, event.payload);
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

import type { ClientToServerEvents, ServerToClientEvents } from "@infix/protocol";
import { io, type Socket } from "socket.io-client";

/** The listening half of the protocol: the server pushes queue and node events; the client sends nothing. */
export type StudioSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Connects to the server's socket.io endpoint (same origin unless `url` is given); reconnects on its own. */
export function connectSocket(url?: string): StudioSocket {
  const options = { path: "/socket.io", transports: ["websocket", "polling"] };
  return url ? io(url, options) : io(options);
}

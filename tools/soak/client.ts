import { Agent, request } from "node:http";
import type { Socket } from "node:net";

/** One HTTP exchange with the server under soak, path sent exactly as written (no normalising). */
export type Exchange =
  | { ok: true; status: number; body: string; ms: number }
  | { ok: false; failure: "reset" | "hang"; ms: number; message: string };

// `timeout` lets idle pooled sockets go before the server closes them (5 s keep-alive, 6 s in
// fact). Without it Node's agent ignores the server's `Keep-Alive: timeout=5` hint (the hint only
// lowers a timeout already set) and keeps idle sockets forever: a request that reused one just as
// the server's close arrived failed with "socket hang up" / ECONNRESET, a race of this client's
// pool (1-2 in some 5-minute soaks), not a server fault.
const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 3000 });
/** The last exchange on each kept-alive socket: a reset on a reused one names what went before it. */
const lastExchange = new WeakMap<Socket, string>();

/**
 * Sends one request to 127.0.0.1:`port` and waits at most `hangMs` for the whole answer.
 *
 * @example const res = await exchange(8188, "GET", "/api/config");
 */
export function exchange(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Uint8Array; hangMs?: number } = {},
): Promise<Exchange> {
  const started = performance.now();
  const hangMs = options.hangMs ?? 10_000;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const headers: Record<string, string> = { host: `127.0.0.1:${port}`, ...options.headers };
    if (options.body !== undefined) headers["content-length"] = String(Buffer.byteLength(options.body));
    const req = request({ host: "127.0.0.1", port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        // Keep at most 1 MB of an answer: enough to look for an outside file's marker.
        if (size < 1024 * 1024) chunks.push(chunk);
        size += chunk.length;
      });
      res.on("end", () => {
        lastExchange.set(req.socket as Socket, `${method} ${path.slice(0, 80)} → ${res.statusCode}`);
        settle({
          ok: true,
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("latin1"),
          ms: performance.now() - started,
        });
      });
      res.on("error", (error) =>
        settle({ ok: false, failure: "reset", ms: performance.now() - started, message: error.message }),
      );
    });
    // The verdict waits one turn of the loop (setImmediate runs after pending I/O), so an
    // answer that arrived while the load generator itself was busy is not taken for a hang.
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          settle({ ok: false, failure: "hang", ms: performance.now() - started, message: `no answer in ${hangMs} ms` });
          req.destroy();
        }),
      hangMs,
    );
    req.on("error", (error) =>
      settle({
        ok: false,
        failure: "reset",
        ms: performance.now() - started,
        // A reset on a kept-alive socket the server was closing as idle is the keep-alive race, not a server fault.
        message:
          `${error.message} after ${Math.round(performance.now() - started)} ms on a ` +
          (req.reusedSocket
            ? `reused socket (before: ${lastExchange.get(req.socket as Socket) ?? "?"})`
            : "new socket"),
      }),
    );
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Closes the kept-alive sockets, so a finished soak leaves nothing open. */
export function closeClients(): void {
  agent.destroy();
}

import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { sendError } from "./http-errors.ts";

/**
 * Request checks for a studio that listens on the user's machine, where any web page the
 * user visits can send requests to it:
 * - Host allow-list (loopback binds only): defeats DNS rebinding, where evil.example resolves
 *   to 127.0.0.1 and would otherwise read the page holding the token.
 * - State-changing requests carry the per-server token (`x-infix-token`, from the page's
 *   <meta>) and, when the browser sends an Origin, it must be ours: a cross-site form or
 *   fetch can do neither.
 * - With `--auth-token`, every API and socket request also needs `Authorization: Bearer`.
 */
export interface SecurityPolicy {
  /** The per-server token for state-changing requests. */
  csrfToken: string;
  /** When set, every /api request and socket needs `Authorization: Bearer <authToken>`. */
  authToken?: string;
  /** Whether a Host header is acceptable (see {@link hostPolicy}). */
  hostAllowed: (hostHeader: string) => boolean;
}

/**
 * Which Host headers a server bound to `host` answers: for a loopback bind only loopback names
 * (any port, so a dev proxy on another port still works; rebinding is about the name), for any
 * other bind every name (the operator chose to be reachable, and --auth-token guards it).
 */
export function hostPolicy(host: string): (hostHeader: string) => boolean {
  if (!["127.0.0.1", "localhost", "::1"].includes(host)) return () => true;
  return (hostHeader) => /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i.test(hostHeader);
}

/** Constant-time string comparison (tokens must not leak through timing). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Why a request (HTTP or the socket.io handshake) is refused, or null when it may pass. */
export function checkRequest(
  policy: SecurityPolicy,
  req: IncomingMessage,
  kind: "read" | "write" | "socket" | "page",
): string | null {
  const host = req.headers.host ?? "";
  if (!policy.hostAllowed(host)) return `requests must address this server as localhost (Host '${host}' refused)`;
  const origin = req.headers.origin;
  if ((kind === "write" || kind === "socket") && origin !== undefined && origin !== `http://${host}`) {
    return "cross-origin requests are refused";
  }
  // Sockets send the bearer token in their auth payload, checked after the handshake by checkSocketAuth.
  if (policy.authToken !== undefined && (kind === "read" || kind === "write")) {
    if (!sameSecret(bearerOf(req.headers.authorization), policy.authToken)) return AUTH_REFUSAL;
  }
  if (kind === "write") {
    const token = req.headers["x-infix-token"];
    if (!sameSecret(typeof token === "string" ? token : undefined, policy.csrfToken)) {
      return 'missing or wrong x-infix-token header (read it from the page\'s <meta name="infix-token">)';
    }
  }
  return null;
}

/** Express middleware applying {@link checkRequest}: 401 for a missing bearer token, 403 otherwise. */
export function securityMiddleware(policy: SecurityPolicy) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const isApi = req.path.startsWith("/api/") || req.path === "/api";
    const write = !["GET", "HEAD", "OPTIONS"].includes(req.method);
    const refusal = checkRequest(policy, req, isApi ? (write ? "write" : "read") : write ? "write" : "page");
    if (refusal === null) return next();
    sendError(res, refusal === AUTH_REFUSAL ? 401 : 403, refusal);
  };
}

const AUTH_REFUSAL = "this server needs 'Authorization: Bearer <token>' (started with --auth-token)";

/**
 * The socket.io half of `--auth-token`: the client sends `{ auth: { token } }` (or an
 * Authorization header where it can). Returns why the socket is refused, or null.
 */
export function checkSocketAuth(
  policy: SecurityPolicy,
  handshake: { auth: Record<string, unknown>; headers: IncomingMessage["headers"] },
): string | null {
  if (policy.authToken === undefined) return null;
  const token =
    typeof handshake.auth.token === "string" ? handshake.auth.token : bearerOf(handshake.headers.authorization);
  return sameSecret(token, policy.authToken) ? null : AUTH_REFUSAL;
}

function bearerOf(header: string | undefined): string | undefined {
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
}

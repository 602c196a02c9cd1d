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
  /** When set, every /api request and socket needs `Authorization: Bearer <authToken>` (or the page cookie). */
  authToken?: string;
  /**
   * With `authToken`: the value of the HttpOnly page cookie a browser gets by opening the page
   * once with `?token=<authToken>` (random per server start, so a restart signs pages out).
   */
  pageSession?: string;
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
  // Sockets send the bearer token in their auth payload (or the page cookie), checked after the handshake by checkSocketAuth.
  if (policy.authToken !== undefined && kind !== "socket" && !authenticated(policy, req.headers)) {
    return kind === "page" ? PAGE_AUTH_REFUSAL : AUTH_REFUSAL;
  }
  if (kind === "write") {
    const token = req.headers["x-infix-token"];
    if (!sameSecret(typeof token === "string" ? token : undefined, policy.csrfToken)) {
      return 'missing or wrong x-infix-token header (read it from the page\'s <meta name="infix-token">)';
    }
  }
  return null;
}

/**
 * Express middleware applying {@link checkRequest}: 401 for a missing bearer token, 403 otherwise.
 * With `--auth-token`, a page opened as `/?token=<token>` sets the HttpOnly page cookie and is
 * redirected to itself without the token (so it leaves the address bar and the history); a
 * page without it gets a 401 page saying how to open it.
 */
export function securityMiddleware(policy: SecurityPolicy) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const isApi = req.path.startsWith("/api/") || req.path === "/api";
    const write = !["GET", "HEAD", "OPTIONS"].includes(req.method);
    const kind = isApi ? (write ? "write" : "read") : write ? "write" : "page";
    if (kind === "page" && policy.authToken !== undefined && policy.pageSession !== undefined) {
      const given = typeof req.query.token === "string" ? req.query.token : undefined;
      if (given !== undefined && policy.hostAllowed(req.headers.host ?? "") && sameSecret(given, policy.authToken)) {
        res.setHeader("Set-Cookie", `${PAGE_COOKIE}=${policy.pageSession}; HttpOnly; SameSite=Strict; Path=/`);
        res.setHeader("Cache-Control", "no-store");
        res.redirect(303, req.path);
        return;
      }
    }
    const refusal = checkRequest(policy, req, kind);
    if (refusal === null) return next();
    if (refusal === PAGE_AUTH_REFUSAL) {
      res.status(401).setHeader("Content-Security-Policy", "frame-ancestors 'none'; default-src 'none'");
      res.type("html").send(PAGE_AUTH_HTML);
      return;
    }
    sendError(res, refusal === AUTH_REFUSAL ? 401 : 403, refusal);
  };
}

const AUTH_REFUSAL =
  "this server needs 'Authorization: Bearer <token>' or the page cookie (started with --auth-token; open /?token=<token> once in the browser)";
const PAGE_AUTH_REFUSAL = "page needs the auth token";
const PAGE_COOKIE = "infix_auth";
const PAGE_AUTH_HTML =
  "<!doctype html><title>Infix: sign in</title><p>This Infix server was started with <code>--auth-token</code>. " +
  "Open it once as <code>/?token=&lt;your token&gt;</code>; the browser then keeps an HttpOnly cookie for this server.</p>";

/** Whether request headers carry the bearer token or the page cookie. */
function authenticated(policy: SecurityPolicy, headers: IncomingMessage["headers"]): boolean {
  if (policy.authToken === undefined) return true;
  if (sameSecret(bearerOf(headers.authorization), policy.authToken)) return true;
  return policy.pageSession !== undefined && sameSecret(cookieOf(headers.cookie, PAGE_COOKIE), policy.pageSession);
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

/**
 * The socket.io half of `--auth-token`: the client sends `{ auth: { token } }` (or an
 * Authorization header where it can). Returns why the socket is refused, or null.
 */
export function checkSocketAuth(
  policy: SecurityPolicy,
  handshake: { auth: Record<string, unknown>; headers: IncomingMessage["headers"] },
): string | null {
  if (policy.authToken === undefined) return null;
  if (typeof handshake.auth.token === "string" && sameSecret(handshake.auth.token, policy.authToken)) return null;
  return authenticated(policy, handshake.headers) ? null : AUTH_REFUSAL;
}

function bearerOf(header: string | undefined): string | undefined {
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
}

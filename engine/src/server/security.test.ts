import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { checkRequest, checkSocketAuth, hostPolicy, sameSecret, type SecurityPolicy } from "./security.ts";

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const policy: SecurityPolicy = { csrfToken: "tok", hostAllowed: hostPolicy("127.0.0.1") };

describe("hostPolicy", () => {
  it("accepts loopback names on any port for a loopback bind and refuses others", () => {
    const allowed = hostPolicy("127.0.0.1");
    for (const host of ["127.0.0.1:8188", "localhost:5173", "LOCALHOST", "[::1]:8188"])
      expect(allowed(host), host).toBe(true);
    for (const host of ["evil.example:8188", "127.0.0.1.evil.example", "localhost.evil:80", ""])
      expect(allowed(host), host).toBe(false);
  });
  it("accepts any name when bound to another interface", () => {
    expect(hostPolicy("0.0.0.0")("studio.lan:8188")).toBe(true);
  });
});

describe("checkRequest", () => {
  it("lets reads through without a token and requires it for writes", () => {
    expect(checkRequest(policy, request({ host: "localhost:1" }), "read")).toBeNull();
    expect(checkRequest(policy, request({ host: "localhost:1" }), "write")).toMatch(/x-infix-token/);
    expect(checkRequest(policy, request({ host: "localhost:1", "x-infix-token": "tok" }), "write")).toBeNull();
  });
  it("refuses writes and sockets from another origin, and 'null' origins", () => {
    const base = { host: "localhost:1", "x-infix-token": "tok" };
    expect(checkRequest(policy, request({ ...base, origin: "http://localhost:1" }), "write")).toBeNull();
    expect(checkRequest(policy, request({ ...base, origin: "http://localhost:2" }), "write")).toMatch(/cross-origin/);
    expect(checkRequest(policy, request({ ...base, origin: "null" }), "socket")).toMatch(/cross-origin/);
  });
  it("requires the bearer token or the page cookie on reads, writes and the page when an auth token is set", () => {
    const guarded: SecurityPolicy = { ...policy, authToken: "s3cret", pageSession: "session" };
    expect(checkRequest(guarded, request({ host: "localhost:1" }), "read")).toMatch(/Bearer/);
    expect(checkRequest(guarded, request({ host: "localhost:1", authorization: "Bearer s3cret" }), "read")).toBeNull();
    expect(checkRequest(guarded, request({ host: "localhost:1" }), "page")).not.toBeNull();
    expect(
      checkRequest(guarded, request({ host: "localhost:1", cookie: "a=b; infix_auth=session" }), "page"),
    ).toBeNull();
    expect(checkSocketAuth(guarded, { auth: {}, headers: { cookie: "infix_auth=session" } })).toBeNull();
    expect(checkSocketAuth(guarded, { auth: { token: "s3cret" }, headers: {} })).toBeNull();
    expect(checkSocketAuth(guarded, { auth: {}, headers: { authorization: "Bearer s3cret" } })).toBeNull();
    expect(checkSocketAuth(guarded, { auth: { token: "nope" }, headers: {} })).toMatch(/auth-token/);
  });
});

describe("sameSecret", () => {
  it("compares exactly, including length", () => {
    expect(sameSecret("abc", "abc")).toBe(true);
    expect(sameSecret("abcd", "abc")).toBe(false);
    expect(sameSecret(undefined, "abc")).toBe(false);
  });
});

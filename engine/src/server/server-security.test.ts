import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { request } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scriptedWorkflow } from "../queue/scripted-executor.test-support.ts";
import { api, connectRecorder, serverTestLifecycle } from "./server.test-support.ts";

const { start, onCleanup } = serverTestLifecycle();
const workflow = scriptedWorkflow({ a: "Ok" });

describe("write token and origin", () => {
  it("refuses state-changing requests without the token or with a wrong one (403)", async () => {
    const { server } = await start();
    expect((await api(server, "POST", "/api/jobs", { json: { workflow }, token: null })).status).toBe(403);
    expect((await api(server, "POST", "/api/jobs", { json: { workflow }, token: "guess" })).status).toBe(403);
    expect((await api(server, "POST", "/api/queue/pause", { token: null })).status).toBe(403);
    expect((await api(server, "DELETE", "/api/cache", { token: null })).status).toBe(403);
    expect((await api(server, "POST", "/api/jobs", { json: { workflow } })).status).toBe(201);
    // Reads need no token.
    expect((await api(server, "GET", "/api/jobs", { token: null })).status).toBe(200);
  });

  it("refuses a cross-origin write even with the token, and accepts our own origin", async () => {
    const { server } = await start();
    const evil = await api(server, "POST", "/api/queue/pause", { headers: { origin: "http://evil.example" } });
    expect(evil.status).toBe(403);
    const own = await api(server, "POST", "/api/queue/pause", { headers: { origin: server.url } });
    expect(own.status).toBe(200);
  });

  it("refuses requests addressed to a foreign Host (DNS rebinding)", async () => {
    const { server } = await start();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port: server.port, path: "/", headers: { host: `evil.example:${server.port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it("puts the token into the served editor page", async () => {
    const dist = mkdtempSync(join(tmpdir(), "infix-dist-"));
    onCleanup(() => rmSync(dist, { recursive: true, force: true }));
    writeFileSync(join(dist, "index.html"), "<!doctype html><html><head><title>x</title></head><body></body></html>");
    writeFileSync(join(dist, "app.js"), "console.log(1)");
    const withEditor = await start({ editorDist: dist });
    const page = await (await fetch(`${withEditor.server.url}/`)).text();
    expect(page).toContain(`<meta name="infix-token" content="${withEditor.server.token}">`);
    expect(await (await fetch(`${withEditor.server.url}/app.js`)).text()).toBe("console.log(1)");
    expect(await (await fetch(`${withEditor.server.url}/some/route`)).text()).toContain("infix-token");
  });

  it("refuses a cross-origin socket", async () => {
    const { server } = await start();
    const client = connectRecorder(server, { extraHeaders: { origin: "http://evil.example" } });
    onCleanup(() => void client.socket.close());
    await expect(client.connected).rejects.toBeTruthy();
  });
});

describe("--auth-token", () => {
  it("requires the bearer token on every /api request and socket", async () => {
    const { server } = await start({ authToken: "s3cret" });
    expect((await api(server, "GET", "/api/config")).status).toBe(401);
    expect((await api(server, "GET", "/api/config", { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await api(server, "GET", "/api/config", { headers: { authorization: "Bearer s3cret" } })).status).toBe(200);
    // The bearer token does not replace the write token.
    expect(
      (await api(server, "POST", "/api/queue/pause", { token: null, headers: { authorization: "Bearer s3cret" } }))
        .status,
    ).toBe(403);

    const refused = connectRecorder(server);
    onCleanup(() => void refused.socket.close());
    await expect(refused.connected).rejects.toThrow(/auth-token/);
    const accepted = connectRecorder(server, { auth: { token: "s3cret" } });
    onCleanup(() => void accepted.socket.close());
    await accepted.connected;
  });
});

import { connect } from "node:net";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { emptyWorkflow } from "../graph/workflow.ts";
import { scriptedWorkflow } from "../queue/scripted-executor.test-support.ts";
import { headerOnlyPng } from "../testing/header-only-png.ts";
import type { QueueState } from "../protocol/index.ts";
import { api, rawGet, serverTestLifecycle, until } from "./server.test-support.ts";

/** Limits at the boundary (issue 14): each refusal a 4xx naming the limit, the queue still moving. */
const { start } = serverTestLifecycle();

/** JSON text nesting `depth` arrays inside the workflow's editor data. */
function deepEditorWorkflow(depth: number): string {
  const workflow = scriptedWorkflow({ out: "Ok" });
  const text = JSON.stringify({ workflow: { ...workflow, editor: { nodes: {}, groups: [], notes: [], deep: 0 } } });
  return text.replace('"deep":0', `"deep":${"[".repeat(depth)}${"]".repeat(depth)}`);
}

async function queueStillRuns(server: Parameters<typeof api>[0]): Promise<void> {
  const res = await api(server, "POST", "/api/jobs", { json: { workflow: scriptedWorkflow({ out: "Ok" }) } });
  expect(res.status).toBe(201);
  const id = (res.data.job as { id: string }).id;
  await until(async () => (await api(server, "GET", `/api/jobs/${id}`)).data.status === "succeeded");
}

describe("JSON bodies", () => {
  it("refuses an editor nesting 5,000 levels deep with 400 before the queue, for jobs and saves", async () => {
    const { server } = await start();
    const body = deepEditorWorkflow(5000);
    const job = await api(server, "POST", "/api/jobs", { body, headers: { "content-type": "application/json" } });
    expect(job.status).toBe(400);
    expect(job.data.error).toMatch(/deeper than 64 levels/);
    const save = await api(server, "PUT", "/api/workflows/deep", {
      body: body.slice('{"workflow":'.length, -1),
      headers: { "content-type": "application/json" },
    });
    expect(save.status).toBe(400);
    expect(((await api(server, "GET", "/api/jobs")).data as unknown as QueueState).jobs).toEqual([]);
    await queueStillRuns(server);
  });

  it("names the per-route size cap, and refuses long strings and huge lists", async () => {
    const { server } = await start({ limits: { stringLength: 1000, containerEntries: 100 } });
    const small = await api(server, "POST", "/api/queue/pause", {
      body: JSON.stringify({ pad: "x".repeat(70 * 1024) }),
      headers: { "content-type": "application/json" },
    });
    expect(small).toMatchObject({ status: 413, data: { error: expect.stringMatching(/limit of 65536 bytes/) } });
    const workflow = scriptedWorkflow({ out: "Ok" });
    const long = await api(server, "POST", "/api/jobs", {
      json: { workflow: { ...workflow, name: "n".repeat(2000) } },
    });
    expect(long).toMatchObject({ status: 413, data: { error: expect.stringMatching(/longer than 1000/) } });
    const list = await api(server, "POST", "/api/jobs", {
      json: { workflow, targets: Array.from({ length: 200 }, (_, i) => `t${i}`) },
    });
    expect(list).toMatchObject({ status: 413, data: { error: expect.stringMatching(/more than 100 entries/) } });
    await queueStillRuns(server);
  });

  it("refuses too many nodes and links with 422 naming the limit", async () => {
    const { server } = await start({ limits: { workflowNodes: 10, workflowLinks: 3 } });
    const many = scriptedWorkflow(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`n${i}`, "Ok"])));
    const res = await api(server, "POST", "/api/jobs", { json: { workflow: many } });
    expect(res).toMatchObject({
      status: 422,
      data: { error: expect.stringMatching(/11 nodes, over the limit of 10/) },
    });
    const linked = scriptedWorkflow({ a: "Ok", b: "Ok" });
    linked.nodes.b.inputs = Object.fromEntries(
      Array.from({ length: 4 }, (_, i) => [`in${i}`, { node: "a", output: "x" }]),
    );
    const links = await api(server, "PUT", "/api/workflows/linky", { json: linked });
    expect(links).toMatchObject({
      status: 422,
      data: { error: expect.stringMatching(/4 links, over the limit of 3/) },
    });
  });

  it("refuses __proto__, constructor and prototype as node ids or input names with a reason", async () => {
    const { server } = await start();
    for (const name of ["__proto__", "constructor", "prototype"]) {
      const asId = `{"workflow":{"format":"infix-workflow","version":1,"nodes":{"${name}":{"type":"Ok","inputs":{}}}}}`;
      const res = await api(server, "POST", "/api/jobs", {
        body: asId,
        headers: { "content-type": "application/json" },
      });
      expect(res).toMatchObject({ status: 422, data: { error: expect.stringMatching(/reserved/) } });
      const asInput = `{"format":"infix-workflow","version":1,"nodes":{"a":{"type":"Ok","inputs":{"${name}":1}}}}`;
      const saved = await api(server, "PUT", "/api/workflows/x", {
        body: asInput,
        headers: { "content-type": "application/json" },
      });
      expect(saved).toMatchObject({ status: 422, data: { error: expect.stringMatching(/reserved/) } });
      // As a workflow name or a job id they are plain strings.
      expect((await api(server, "PUT", `/api/workflows/${name}`, { json: emptyWorkflow() })).status).toBe(200);
      expect((await api(server, "GET", `/api/workflows/${name}`)).status).toBe(200);
      expect((await api(server, "GET", `/api/jobs/${name}`)).status).toBe(404);
      expect((await api(server, "POST", `/api/jobs/${name}/cancel`)).status).toBe(404);
    }
    await queueStillRuns(server);
  });
});

describe("uploads", () => {
  it("answers a declared Content-Length over the cap with 413 before the body is sent", async () => {
    const { server } = await start({ maxUploadBytes: 1024 });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, "127.0.0.1", () => {
        socket.write(
          `POST /api/uploads?name=a.png HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
            `x-infix-token: ${server.token}\r\nContent-Type: image/png\r\nContent-Length: 999999999\r\n\r\n`,
        );
      });
      let text = "";
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes("\r\n\r\n{")) resolve(text);
      });
      socket.on("error", reject);
      socket.on("close", () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(answer).toMatch(/over this route's limit of 1024 bytes/);
  });

  it("cuts off a body that trickles in", async () => {
    const { server } = await start({ requestTimeoutMs: 300 });
    const closed = await new Promise<string>((resolve) => {
      const socket = connect(server.port, "127.0.0.1", () => {
        socket.write(
          `POST /api/uploads?name=a.png HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
            `x-infix-token: ${server.token}\r\nContent-Length: 100\r\n\r\nabc`,
        );
      });
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
      socket.on("close", () => resolve(text));
      socket.on("error", () => resolve(text));
    });
    expect(closed).toMatch(/^HTTP\/1.1 408/);
  });

  it("refuses a decompression bomb by its header's size, with 413", async () => {
    const { server } = await start();
    const bomb = headerOnlyPng(30000, 30000);
    const res = await api(server, "POST", "/api/uploads?name=bomb.png", { body: bomb });
    expect(res).toMatchObject({ status: 413, data: { error: expect.stringMatching(/30000×30000 pixels/) } });
  }, 60_000);

  it("keeps the input folder within its disk budget, with 413 naming it", async () => {
    const { server } = await start({ inputBudgetBytes: 300 });
    const npy = (n: number) => {
      const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ",), }";
      const pad = 64 - ((10 + header.length + 1) % 64);
      const text = header + " ".repeat(pad) + "\n";
      const bytes = new Uint8Array(10 + text.length + n * 4);
      bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8]);
      bytes.set(new TextEncoder().encode(text), 10);
      return bytes;
    };
    expect((await api(server, "POST", "/api/uploads?name=a.npy", { body: new Uint8Array(npy(20)) })).status).toBe(201);
    const over = await api(server, "POST", "/api/uploads?name=b.npy", { body: new Uint8Array(npy(40)) });
    expect(over).toMatchObject({ status: 413, data: { error: expect.stringMatching(/may hold 300/) } });
  });

  it("gives repeated uploads of one name unique names without probing every earlier one", async () => {
    const { server } = await start();
    const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    const names = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const res = await api(server, "POST", "/api/uploads?name=same.png", { body: png });
      names.add((res.data.file as { name: string }).name);
    }
    expect(names.size).toBe(30);
    expect(names.has("same_29.png")).toBe(true);
  });
});

describe("page headers and --auth-token", () => {
  it("forbids framing the page", async () => {
    const { server } = await start();
    const res = await fetch(`${server.url}/`);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("serves the page only with the token: ?token= once sets an HttpOnly cookie that the API and sockets accept", async () => {
    const { server } = await start({ authToken: "s3cret" });
    const bare = await rawGet(server, "/");
    expect(bare.status).toBe(401);
    expect(bare.body).not.toContain("infix-token");
    const wrong = await fetch(`${server.url}/?token=nope`, { redirect: "manual" });
    expect(wrong.status).toBe(401);
    const signIn = await fetch(`${server.url}/?token=s3cret`, { redirect: "manual" });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get("location")).toBe("/");
    const cookie = signIn.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(";")[0];
    expect((await fetch(`${server.url}/`, { headers: { cookie: session } })).status).toBe(200);
    expect((await api(server, "GET", "/api/config", { headers: { cookie: session } })).status).toBe(200);
    expect((await api(server, "GET", "/api/config", { headers: { cookie: "infix_auth=forged" } })).status).toBe(401);
  });
});

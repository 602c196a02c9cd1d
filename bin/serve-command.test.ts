import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Job } from "@infix/protocol";
import { serve } from "./serve-command.ts";
import { studioApi } from "./studio-api.test-support.ts";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "infix-serve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("serve", () => {
  it("accepts the upload kinds its node packages declare, and refuses the others naming what it accepts", async () => {
    const server = await serve(
      repoRoot,
      { port: 0, host: "127.0.0.1", data: join(dir, "data"), testNodes: true, device: "cpu", graphOptimization: "all" },
      () => undefined,
    );
    try {
      const upload = (name: string, body: string) =>
        fetch(`${server.url}/api/uploads?name=${encodeURIComponent(name)}`, {
          method: "POST",
          headers: { "x-infix-token": server.token },
          body,
        });
      const note = await upload("todo.note.txt", "walk the dog\n");
      expect(note.status).toBe(201);
      expect(await note.json()).toEqual({ file: { folder: "input", name: "todo.note.txt" } });
      // The test nodes do not read subjects, so a server of test nodes refuses them.
      const subject = await upload("dog.subject.json", "{}");
      expect(subject.status).toBe(415);
      expect(((await subject.json()) as { error: string }).error).toContain("text notes (.note.txt)");
    } finally {
      await server.close();
    }
  });

  it("prints one line per finished job: id, status, time, counts, and a failure's node and reason", async () => {
    const lines: string[] = [];
    const server = await serve(
      repoRoot,
      {
        port: 0,
        host: "127.0.0.1",
        data: join(dir, "jobs-data"),
        testNodes: true,
        device: "cpu",
        graphOptimization: "all",
      },
      (line) => lines.push(line),
    );
    try {
      const submit = async (nodes: Record<string, unknown>) => {
        const response = await fetch(`${server.url}/api/jobs`, {
          method: "POST",
          headers: { "x-infix-token": server.token, "content-type": "application/json" },
          body: JSON.stringify({ workflow: { format: "infix-workflow", version: 1, nodes } }),
        });
        expect(response.status).toBe(201);
        return ((await response.json()) as { job: { id: string } }).job.id;
      };
      const ok = await submit({
        "1": { type: "IntConstant", inputs: { value: 2 } },
        "2": { type: "ShowValue", inputs: { value: { node: "1", output: "value" } } },
      });
      const failing = await submit({
        "1": { type: "Fail", inputs: { message: "out of paint" } },
        "2": { type: "ShowValue", inputs: { value: { node: "1", output: "value" } } },
      });
      const lineOf = (id: string) => lines.find((line) => line.startsWith(`job ${id} `));
      await expect.poll(() => lineOf(ok), { timeout: 30_000 }).toMatch(/succeeded in \d+\.\d s \(2 ran, 0 cached\)$/);
      await expect
        .poll(() => lineOf(failing), { timeout: 30_000 })
        .toMatch(/failed in \d+\.\d s .*: node 1: .*out of paint/);
      expect(lines.join("\n")).toMatch(/^data: {3}.*jobs-data$/m);
    } finally {
      await server.close();
    }
  });

  it("runs jobs in its worker thread: events are relayed, a cancel stops a running job, /api/cache is the worker's", async () => {
    const server = await serve(
      repoRoot,
      {
        port: 0,
        host: "127.0.0.1",
        data: join(dir, "worker-data"),
        testNodes: true,
        device: "cpu",
        graphOptimization: "all",
      },
      () => undefined,
    );
    const call = studioApi(server);
    const job = async (id: string) => (await call("GET", `/api/jobs/${id}`)).data as unknown as Job;
    const until = async (check: () => Promise<boolean>) => {
      while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    const workflow = (steps: number) => ({
      format: "infix-workflow",
      version: 1,
      nodes: {
        c: { type: "SlowCount", inputs: { steps, step_ms: 5 } },
        show: { type: "ShowValue", inputs: { value: { node: "c", output: "count" } } },
      },
    });
    try {
      const long = ((await call("POST", "/api/jobs", { workflow: workflow(10_000) })).data.job as { id: string }).id;
      await until(async () => (await job(long)).nodes.c.progress !== undefined);
      expect((await call("POST", `/api/jobs/${long}/cancel`)).status).toBe(200);
      await until(async () => (await job(long)).status === "cancelled");
      const short = ((await call("POST", "/api/jobs", { workflow: workflow(2) })).data.job as { id: string }).id;
      await until(async () => (await job(short)).status === "succeeded");
      expect((await job(short)).nodes.show.ui).toEqual({ text: ["2"] });
      expect((await call("GET", "/api/cache")).data.entries).toBe(2);
      expect((await call("DELETE", "/api/cache")).data.entries).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("with the BLIP-Diffusion nodes, checks a .subject.json upload with the subject file parser", async () => {
    const server = await serve(
      repoRoot,
      {
        port: 0,
        host: "127.0.0.1",
        data: join(dir, "blip-data"),
        models: join(dir, "no-models"),
        device: "cpu",
        graphOptimization: "all",
      },
      () => undefined,
    );
    try {
      const refused = await fetch(`${server.url}/api/uploads?name=dog.subject.json`, {
        method: "POST",
        headers: { "x-infix-token": server.token },
        body: JSON.stringify({ format: "infix-subject", version: 1 }),
      });
      expect(refused.status).toBe(415);
      expect(((await refused.json()) as { error: string }).error).toMatch(
        /^not a usable \.subject\.json file: not an infix-subject v1 file: pack/,
      );
    } finally {
      await server.close();
    }
  });
});

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OutputCache } from "../cache/index.ts";
import { Executor } from "../execution/executor.ts";
import { FileStore } from "../files/file-store.ts";
import { WORKFLOW_FORMAT, WORKFLOW_VERSION, type Workflow } from "../graph/workflow.ts";
import type { Resources } from "../nodes/definition.ts";
import { NodeRegistry } from "../nodes/registry.ts";
import { testNodePackage } from "../testing/index.ts";
import type { Job } from "../protocol/index.ts";
import { api, connectRecorder, serverTestLifecycle, until } from "./server.test-support.ts";

/** The server with the engine's real executor and test nodes, end to end. */

const { start, onCleanup } = serverTestLifecycle();

const noResources: Resources = {
  get: (key) => {
    throw new Error(`no resource ${key.id}`);
  },
  has: () => false,
};

async function startReal() {
  const dataDir = mkdtempSync(join(tmpdir(), "infix-real-"));
  const files = await FileStore.open(FileStore.foldersUnder(dataDir));
  const registry = new NodeRegistry([testNodePackage]);
  const cache = new OutputCache({ budgetBytes: 1 << 24 });
  const executor = new Executor({
    registry,
    cache,
    resources: noResources,
    files: files.access(),
    log: { info: () => undefined, warn: () => undefined },
  });
  const started = await start({ executor, files, cache, catalog: () => registry.catalog(noResources) }, dataDir);
  return started.server;
}

function workflow(nodes: Workflow["nodes"]): Workflow {
  return { format: WORKFLOW_FORMAT, version: WORKFLOW_VERSION, nodes, requires: [] };
}

const counting = workflow({
  count: { type: "SlowCount", mode: "active", inputs: { steps: 4, step_ms: 5 } },
  show: { type: "ShowValue", mode: "active", inputs: { value: { node: "count", output: "count" } } },
  save: { type: "SaveText", mode: "active", inputs: { text: "saved", filename_prefix: "note" } },
});

async function submit(server: Awaited<ReturnType<typeof startReal>>, body: unknown): Promise<string> {
  const res = await api(server, "POST", "/api/jobs", { json: body });
  expect(res.status, JSON.stringify(res.data)).toBe(201);
  return (res.data.job as { id: string }).id;
}

describe("server with the real executor", () => {
  it("runs test nodes with progress, preview and outputs, then serves a re-run from the cache", async () => {
    const server = await startReal();
    const client = connectRecorder(server);
    onCleanup(() => void client.socket.close());
    await client.connected;
    const first = await submit(server, { workflow: counting, clientId: client.socket.id });
    await until(() => server.queue.get(first)?.status === "succeeded");
    const job = (await api(server, "GET", `/api/jobs/${first}`)).data as unknown as Job;
    expect(job.nodes.show.ui?.text).toEqual(["4"]);
    expect(job.nodes.save.ui?.text).toEqual(["output/note.txt"]);
    expect(typeof job.nodes.count.ms).toBe("number");
    await until(() => client.events.some((e) => e.name === "preview"));
    expect(client.events.filter((e) => e.name === "progress").at(-1)?.payload).toMatchObject({
      nodeId: "count",
      step: 4,
      total: 4,
    });
    const saved = await fetch(`${server.url}/api/files/output/note.txt`);
    expect(await saved.text()).toBe("saved");

    const second = await submit(server, { workflow: counting, clientId: client.socket.id });
    // The socket's own word that the job ended: its node events came before it.
    await until(() =>
      client.events.some((e) => e.name === "job:succeeded" && (e.payload as { jobId: string }).jobId === second),
    );
    const cachedIds = client.events
      .filter((e) => e.name === "node:cached" && (e.payload as { jobId: string }).jobId === second)
      .map((e) => (e.payload as { nodeId: string }).nodeId);
    // The output nodes are served from the cache; the counter above them is reported cached too.
    expect(cachedIds.sort()).toEqual(["count", "save", "show"]);
    expect((await api(server, "GET", "/api/cache")).data).toMatchObject({ hits: expect.any(Number) });
  });

  it("returns the validator's problems with 400", async () => {
    const server = await startReal();
    const bad = workflow({
      count: { type: "SlowCount", mode: "active", inputs: { steps: -1 } },
      show: { type: "ShowValue", mode: "active", inputs: { value: { node: "count", output: "count" } } },
    });
    const res = await api(server, "POST", "/api/jobs", { json: { workflow: bad } });
    expect(res.status).toBe(400);
    expect(res.data.problems).toEqual([
      expect.objectContaining({ code: "out_of_range", nodeId: "count", input: "steps" }),
    ]);
  });

  it("survives a node that throws and runs the next job", async () => {
    const server = await startReal();
    const failing = await submit(server, {
      workflow: workflow({
        fail: { type: "Fail", mode: "active", inputs: { message: "boom" } },
        show: { type: "ShowValue", mode: "active", inputs: { value: { node: "fail", output: "value" } } },
      }),
    });
    await until(() => server.queue.get(failing)?.status === "failed");
    expect(server.queue.get(failing)?.error).toMatchObject({ message: "boom", nodeId: "fail" });
    const next = await submit(server, { workflow: counting });
    await until(() => server.queue.get(next)?.status === "succeeded");
  });

  it("cancels a running node mid-way through its abort signal", async () => {
    const server = await startReal();
    const slow = workflow({
      count: { type: "SlowCount", mode: "active", inputs: { steps: 10_000, step_ms: 10 } },
      show: { type: "ShowValue", mode: "active", inputs: { value: { node: "count", output: "count" } } },
    });
    const id = await submit(server, { workflow: slow });
    await until(() => server.queue.get(id)?.nodes.count.progress !== undefined);
    const started = Date.now();
    await api(server, "POST", `/api/jobs/${id}/cancel`);
    await until(() => server.queue.get(id)?.status === "cancelled");
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

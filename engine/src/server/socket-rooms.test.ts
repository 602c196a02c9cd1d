import { describe, expect, it } from "vitest";
import { scriptedWorkflow } from "../queue/scripted-executor.test-support.ts";
import type { Job, QueueState, WatchReply } from "../protocol/index.ts";
import { api, connectRecorder, serverTestLifecycle, until } from "./server.test-support.ts";
import type { InfixServer } from "./server.ts";

const { start, onCleanup } = serverTestLifecycle();

/** A connected recording socket, closed after the test. */
async function recorder(server: InfixServer) {
  const client = connectRecorder(server);
  onCleanup(() => void client.socket.close());
  await client.connected;
  return client;
}

async function submit(server: InfixServer, types: Record<string, string>, clientId?: string): Promise<string> {
  const inputs = Object.fromEntries(Object.keys(types).map((id) => [id, { steps: 3 }]));
  const res = await api(server, "POST", "/api/jobs", { json: { workflow: scriptedWorkflow(types, inputs), clientId } });
  expect(res.status, JSON.stringify(res.data)).toBe(201);
  return (res.data.job as { id: string }).id;
}

const jobIdsOf = (events: { name: string; payload: unknown }[]) =>
  new Set(
    events
      .filter((e) => e.name !== "queue")
      .map((e) => {
        const payload = e.payload as { jobId?: string; id?: string };
        return payload.jobId ?? payload.id;
      }),
  );

describe("socket rooms: each socket gets the events of the jobs it watches, and none of others", () => {
  it("sends a job's events to the socket that submitted it only; the others get the queue summary", async () => {
    const { server } = await start();
    const mine = await recorder(server);
    const other = await recorder(server);
    const jobId = await submit(server, { p: "Progress", out: "Ok" }, mine.socket.id);
    const otherJob = await submit(server, { q: "Ok" }, other.socket.id);
    await until(() => mine.events.some((e) => e.name === "job:succeeded"));
    await until(() => other.events.some((e) => e.name === "job:succeeded"));
    await until(() => mine.events.some((e) => e.name === "preview"));
    expect(jobIdsOf(mine.events)).toEqual(new Set([jobId]));
    expect(jobIdsOf(other.events)).toEqual(new Set([otherJob]));
    const names = new Set(mine.events.map((e) => e.name));
    for (const name of ["job:queued", "job:started", "node:started", "progress", "preview", "node:finished"])
      expect(names).toContain(name);
    // Everyone learns that the jobs ended from the (throttled) queue summary.
    await until(() => {
      const last = other.events.filter((e) => e.name === "queue").at(-1)?.payload as QueueState | undefined;
      return last?.jobs.find((job) => job.id === jobId)?.status === "succeeded";
    });
  });

  it("lets a socket watch a job (its state first, then its events), refuses bad requests and leaves the room at the end", async () => {
    const { server, executor } = await start();
    const watcher = await recorder(server);
    const jobId = await submit(server, { a: "Ok", w: "Wait", b: "Ok" });
    await until(() => executor.started.includes("w"));
    expect(jobIdsOf(watcher.events)).toEqual(new Set());

    const reply: WatchReply = await watcher.socket.emitWithAck("jobs:watch", [jobId, "no-such-job"]);
    expect(reply).toEqual({ watching: [jobId], unknown: ["no-such-job"] });
    const state = watcher.events.find((e) => e.name === "job:state")?.payload as Job;
    expect(state).toMatchObject({
      id: jobId,
      status: "running",
      nodes: { a: { status: "done" }, w: { status: "running" } },
    });
    // Asking again for a job it watches sends nothing twice.
    expect(await watcher.socket.emitWithAck("jobs:watch", [jobId])).toEqual({ watching: [jobId], unknown: [] });
    expect(watcher.events.filter((e) => e.name === "job:state")).toHaveLength(1);
    executor.release();
    await until(() => watcher.events.some((e) => e.name === "job:succeeded"));
    expect(
      watcher.events.some((e) => e.name === "node:finished" && (e.payload as { nodeId: string }).nodeId === "b"),
    ).toBe(true);
    // Ended: the room is gone, and watching it again sends its final state without joining.
    expect(server.queue.get(jobId)?.status).toBe("succeeded");
    const again: WatchReply = await watcher.socket.emitWithAck("jobs:watch", [jobId]);
    expect(again).toEqual({ watching: [], unknown: [] });
    expect((watcher.events.filter((e) => e.name === "job:state").at(-1)?.payload as Job).status).toBe("succeeded");

    // Never trust client input: wrong shapes get a reason, and the socket stays usable.
    for (const bad of [[], "x", [1], Array(101).fill(jobId), ["x".repeat(101)], { length: 1, 0: jobId }] as unknown[]) {
      const refused = (await watcher.socket.emitWithAck("jobs:watch", bad as string[])) as WatchReply;
      expect(refused.error).toMatch(/1 to 100 job ids/);
      expect(refused.watching).toEqual([]);
    }
    const later = await submit(server, { c: "Ok" });
    expect(await watcher.socket.emitWithAck("jobs:watch", [later])).toMatchObject({ unknown: [] });
  });

  it("stops sending a job's events after jobs:unwatch", async () => {
    const { server, executor } = await start();
    const client = await recorder(server);
    const jobId = await submit(server, { w: "Wait", after: "Ok" }, client.socket.id);
    await until(() => executor.started.includes("w"));
    client.socket.emit("jobs:unwatch", [jobId]);
    // A watch round trip orders the unwatch before the release below.
    await client.socket.emitWithAck("jobs:watch", ["none"]);
    const before = client.events.length;
    executor.release();
    await until(() => server.queue.get(jobId)?.status === "succeeded");
    await submit(server, { marker: "Ok" }, client.socket.id);
    await until(() => client.events.some((e) => e.name === "job:succeeded"));
    expect(jobIdsOf(client.events.slice(before)).has(jobId)).toBe(false);
  });

  it("caps the jobs one socket may watch", async () => {
    const { server } = await start({ sockets: { maxWatchedJobs: 3 } });
    await api(server, "POST", "/api/queue/pause");
    const client = await recorder(server);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await submit(server, { [`n${i}`]: "Ok" }));
    const reply: WatchReply = await client.socket.emitWithAck("jobs:watch", ids);
    expect(reply.watching).toEqual(ids.slice(0, 3));
    expect(reply.error).toMatch(/at most 3 jobs/);
    // Its own submissions count too: a fourth is not joined.
    const own = await submit(server, { own: "Ok" }, client.socket.id);
    await api(server, "POST", "/api/queue/resume");
    await until(() => ids.every((id) => server.queue.get(id)?.status === "succeeded"));
    await until(() => server.queue.get(own)?.status === "succeeded");
    await until(() => client.events.filter((e) => e.name === "job:succeeded").length === 3);
    expect(jobIdsOf(client.events)).toEqual(new Set(ids.slice(0, 3)));
  });

  it("sends a bounded queue summary to sockets, saying how many jobs it leaves out", async () => {
    const { server } = await start({ sockets: { summaryJobs: 5 } });
    await api(server, "POST", "/api/queue/pause");
    for (let i = 0; i < 8; i++) await submit(server, { [`n${i}`]: "Ok" });
    const client = await recorder(server);
    await until(() => client.events.some((e) => e.name === "queue"));
    const summary = client.events.find((e) => e.name === "queue")?.payload as QueueState;
    expect(summary.jobs).toHaveLength(5);
    expect(summary.omitted).toEqual({ queued: 3, finished: 0 });
    expect(((await api(server, "GET", "/api/jobs")).data as unknown as QueueState).jobs).toHaveLength(8);
  });
});

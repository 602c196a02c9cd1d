import { describe, expect, it } from "vitest";
import { scriptedWorkflow } from "../queue/scripted-executor.test-support.ts";
import type { Job, QueueState } from "../protocol/index.ts";
import { api, connectRecorder, serverTestLifecycle, startTestServer, until } from "./server.test-support.ts";

const { start, onCleanup } = serverTestLifecycle();

describe("jobs over HTTP and socket.io", () => {
  it("submits a job and streams events in order until it succeeds", async () => {
    const { server } = await start();
    const client = connectRecorder(server);
    onCleanup(() => void client.socket.close());
    await client.connected;
    const workflow = scriptedWorkflow({ p: "Progress", out: "Ok" }, { p: { steps: 3 } });
    const submitted = await api(server, "POST", "/api/jobs", {
      json: { workflow, label: "tab 1", clientId: client.socket.id },
    });
    expect(submitted.status).toBe(201);
    const jobId = (submitted.data.job as { id: string }).id;
    await until(() => client.events.some((e) => e.name === "job:succeeded"));
    const names = client.events.map((e) => e.name).filter((n) => n !== "queue" && n !== "progress" && n !== "preview");
    expect(names).toEqual([
      "job:queued",
      "job:started",
      "node:started",
      "node:finished",
      "node:started",
      "node:finished",
      "job:succeeded",
    ]);
    expect(client.events[0].name).toBe("queue");
    expect(client.events.find((e) => e.name === "progress")?.payload).toMatchObject({ jobId, nodeId: "p", total: 3 });
    await until(() => client.events.some((e) => e.name === "preview"));
    const preview = client.events.find((e) => e.name === "preview")?.payload as { image: string };
    expect(preview.image).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    const job = (await api(server, "GET", `/api/jobs/${jobId}`)).data as unknown as Job;
    expect(job).toMatchObject({ status: "succeeded", label: "tab 1", nodeCount: 2 });
    expect(job.nodes.out).toMatchObject({ status: "done", ui: { text: ["out done"] } });
  });

  it("answers validation problems with 400 and every problem, and queues nothing", async () => {
    const { server } = await start();
    const res = await api(server, "POST", "/api/jobs", {
      json: { workflow: scriptedWorkflow({ a: "Bad", b: "Bad" }) },
    });
    expect(res.status).toBe(400);
    expect((res.data.problems as { nodeId: string }[]).map((p) => p.nodeId)).toEqual(["a", "b"]);
    expect(((await api(server, "GET", "/api/jobs")).data as unknown as QueueState).jobs).toEqual([]);
  });

  it("rejects malformed bodies with 400 and keeps serving", async () => {
    const { server } = await start();
    const broken = await api(server, "POST", "/api/jobs", {
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(broken).toMatchObject({ status: 400, data: { error: "the request body is not valid JSON" } });
    const wrongShape = await api(server, "POST", "/api/jobs", { json: { workflow: { format: "nope" } } });
    expect(wrongShape.status).toBe(400);
    expect((wrongShape.data.problems as { input: string }[]).some((p) => p.input?.startsWith("workflow"))).toBe(true);
    const noBody = await api(server, "POST", "/api/jobs");
    expect(noBody.status).toBe(400);
    expect((await api(server, "GET", "/api/jobs")).status).toBe(200);
    expect((await api(server, "GET", "/api/nope")).status).toBe(404);
  });

  it("pauses, moves to front, cancels and deletes over HTTP", async () => {
    const { server, executor } = await start();
    expect((await api(server, "POST", "/api/queue/pause")).data).toMatchObject({ paused: true });
    const ids: string[] = [];
    for (const name of ["a", "b", "c"]) {
      const res = await api(server, "POST", "/api/jobs", { json: { workflow: scriptedWorkflow({ [name]: "Ok" }) } });
      ids.push((res.data.job as { id: string }).id);
    }
    const [a, b, c] = ids;
    const front = await api(server, "POST", `/api/jobs/${c}/front`);
    expect((front.data as unknown as QueueState).jobs.map((j) => j.id)).toEqual([c, a, b]);
    expect((await api(server, "POST", `/api/jobs/${a}/cancel`)).data).toMatchObject({
      job: { id: a, status: "cancelled" },
    });
    expect((await api(server, "DELETE", `/api/jobs/${b}`)).status).toBe(204);
    expect((await api(server, "DELETE", `/api/jobs/${b}`)).status).toBe(404);
    await api(server, "POST", "/api/queue/resume");
    await until(() => executor.started.length === 1);
    await until(
      async () => ((await api(server, "GET", `/api/jobs/${c}`)).data as unknown as Job).status === "succeeded",
    );
    expect(executor.started).toEqual(["c"]);
    expect((await api(server, "POST", `/api/jobs/${c}/front`)).status).toBe(409);
  });

  it("cancels the running job, and survives a node that fails", async () => {
    const { server } = await start();
    const waiting = await api(server, "POST", "/api/jobs", { json: { workflow: scriptedWorkflow({ w: "Wait" }) } });
    const id = (waiting.data.job as { id: string }).id;
    await until(() => server.queue.get(id)?.status === "running");
    expect((await api(server, "DELETE", `/api/jobs/${id}`)).status).toBe(409);
    await api(server, "POST", `/api/jobs/${id}/cancel`);
    await until(() => server.queue.get(id)?.status === "cancelled");
    const failing = await api(server, "POST", "/api/jobs", { json: { workflow: scriptedWorkflow({ f: "Fail" }) } });
    const failId = (failing.data.job as { id: string }).id;
    await until(() => server.queue.get(failId)?.status === "failed");
    expect(server.queue.get(failId)?.nodes.f).toMatchObject({ status: "failed", error: { message: "node f broke" } });
    expect((await api(server, "GET", "/api/config")).status).toBe(200);
  });

  it("greets a (re)connecting client with the queue, and sends a running job's full state once it watches it", async () => {
    const { server, executor } = await start();
    const res = await api(server, "POST", "/api/jobs", {
      json: { workflow: scriptedWorkflow({ a: "Ok", w: "Wait" }) },
    });
    const id = (res.data.job as { id: string }).id;
    await until(() => executor.started.includes("w"));
    const late = connectRecorder(server);
    onCleanup(() => void late.socket.close());
    await until(() => late.events.length >= 1);
    expect(late.events[0].name).toBe("queue");
    // Besides the greeting, a throttled queue summary from the job's start may still arrive: the
    // job's own events are what must wait for the watch.
    const jobEvents = () => late.events.filter((e) => e.name !== "queue");
    expect(jobEvents()).toEqual([]);
    const reply = await late.socket.emitWithAck("jobs:watch", [id]);
    expect(reply).toEqual({ watching: [id], unknown: [] });
    expect(jobEvents().map((e) => e.name)).toEqual(["job:state"]);
    const job = jobEvents()[0].payload as Job;
    expect(job).toMatchObject({ id, status: "running" });
    expect(job.nodes.a.status).toBe("done");
    expect(job.nodes.w.status).toBe("running");
    executor.release();
    await until(() => late.events.some((e) => e.name === "job:succeeded"));
  });

  it("keeps queued jobs across a restart and marks the interrupted one failed", async () => {
    const first = await startTestServer();
    const running = await api(first.server, "POST", "/api/jobs", {
      json: { workflow: scriptedWorkflow({ w: "Wait" }) },
    });
    const runningId = (running.data.job as { id: string }).id;
    await until(() => first.server.queue.get(runningId)?.status === "running");
    const queued = await api(first.server, "POST", "/api/jobs", { json: { workflow: scriptedWorkflow({ q: "Ok" }) } });
    await api(first.server, "POST", "/api/queue/pause");
    await first.server.close();

    const second = await start({}, first.dataDir);
    const state = (await api(second.server, "GET", "/api/jobs")).data as unknown as QueueState;
    expect(state.paused).toBe(true);
    expect(state.jobs.map((j) => [j.id, j.status])).toEqual([
      [(queued.data.job as { id: string }).id, "queued"],
      [runningId, "failed"],
    ]);
    expect(state.jobs[1].error?.message).toContain("the server stopped while this job was running");
  });
});

import { describe, expect, it } from "vitest";
import { scriptedWorkflow } from "../queue/scripted-executor.test-support.ts";
import type { QueueState } from "../protocol/index.ts";
import { api, jsonWithDeepNesting, expectQueueStillRuns, serverTestLifecycle } from "./server.test-support.ts";

const { start } = serverTestLifecycle();

describe("job admission over HTTP", () => {
  // Issue #14's worst finding: ~5,000 levels of editor data made the journal's JSON.stringify
  // throw after the job was already in memory as "running", and the queue stopped until a restart.
  it("refuses a workflow nested 5,000 levels deep with a 4xx, leaves no trace and keeps the queue moving", async () => {
    const { server } = await start();
    const workflow = {
      ...scriptedWorkflow({ a: "Ok" }),
      editor: { nodes: {}, groups: [], notes: [], deep: "<nested>" },
    };
    const body = jsonWithDeepNesting({ workflow }, 5000);
    const res = await api(server, "POST", "/api/jobs", { body, headers: { "content-type": "application/json" } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(String(res.data.error)).toMatch(/nest|deep|depth/i);
    const state = (await api(server, "GET", "/api/jobs")).data as unknown as QueueState;
    expect(state.jobs).toEqual([]);
    await expectQueueStillRuns(server);
    const after = (await api(server, "GET", "/api/jobs")).data as unknown as QueueState;
    expect(after.jobs.map((job) => [job.label, job.status])).toEqual([["watchdog", "succeeded"]]);
  });

  it("admits exactly the waiting-jobs cap of concurrent submissions and answers the rest 429 with Retry-After", async () => {
    const { server } = await start({ maxQueuedJobs: 4 });
    await api(server, "POST", "/api/queue/pause");
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        api(server, "POST", "/api/jobs", { json: { workflow: scriptedWorkflow({ [`n${i}`]: "Ok" }) } }),
      ),
    );
    expect(answers.filter((res) => res.status === 201)).toHaveLength(4);
    const refused = answers.filter((res) => res.status !== 201);
    expect(refused.map((res) => res.status)).toEqual(Array(20).fill(429));
    expect(refused[0].headers.get("retry-after")).toBe("1");
    expect(String(refused[0].data.error)).toMatch(/4 waiting jobs/);
    const state = (await api(server, "GET", "/api/jobs")).data as unknown as QueueState;
    expect(state.jobs.filter((job) => job.status === "queued")).toHaveLength(4);
  });

  it("answers 429 before reading the body while the queue is full, and lists the first waiting jobs with how many more", async () => {
    const { server } = await start({ maxQueuedJobs: 3 });
    await api(server, "POST", "/api/queue/pause");
    for (let i = 0; i < 3; i++)
      expect(
        (await api(server, "POST", "/api/jobs", { json: { workflow: scriptedWorkflow({ [`n${i}`]: "Ok" }) } })).status,
      ).toBe(201);
    // Not even parsed: broken JSON gets the queue's answer, not the parser's.
    const refused = await api(server, "POST", "/api/jobs", {
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(refused.status).toBe(429);
    expect(refused.data.error).toBe("the queue holds 3 waiting jobs, its limit; try later");
    // Other routes still parse and answer.
    expect((await api(server, "GET", "/api/config")).status).toBe(200);

    const first = (await api(server, "GET", "/api/jobs?limit=2")).data as unknown as QueueState;
    expect(first.jobs).toHaveLength(2);
    expect(first.omitted).toEqual({ queued: 1, finished: 0 });
    const all = (await api(server, "GET", "/api/jobs")).data as unknown as QueueState;
    expect(all.jobs).toHaveLength(3);
    expect(all.omitted).toBeUndefined();
    for (const bad of ["0", "-1", "x", "1e3", "1000000"])
      expect((await api(server, "GET", `/api/jobs?limit=${bad}`)).status).toBe(400);
  });
});

import { describe, expect, it } from "vitest";
import type { ServerToClientEvents } from "@infix/protocol";
import { routeJobEvents, type EventSource } from "./job-events.ts";
import { createStudioStore } from "./studio-store.ts";

class FakeSocket implements EventSource {
  listeners = new Map<string, (...args: never[]) => void>();
  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]) {
    this.listeners.set(event, listener as (...args: never[]) => void);
    return this;
  }
  emit<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>) {
    (this.listeners.get(event) as (...a: unknown[]) => void)(...args);
  }
}

describe("job event routing", () => {
  it("replays events that overtook the submit reply once the job is claimed by its tab", () => {
    const socket = new FakeSocket();
    const store = createStudioStore();
    const tab = store.getState().tabs[0];
    const router = routeJobEvents(socket, store);
    socket.emit("node:started", { jobId: "j1", nodeId: "a" });
    socket.emit("node:finished", {
      jobId: "j1",
      nodeId: "a",
      ms: 12,
      ui: { images: [{ folder: "output", name: "x.png", width: 8, height: 8 }] },
    });
    expect(tab.live.get("a").status).toBeUndefined();
    router.claimJob("j1", tab.id);
    expect(tab.live.get("a")).toMatchObject({ status: "done", ms: 12 });
    expect(store.getState().gallery.map((g) => g.ref.name)).toEqual(["x.png"]);
    socket.emit("node:cached", { jobId: "j1", nodeId: "b" });
    expect(tab.live.get("b").status).toBe("cached");
  });

  it("shows only the tab's latest job: a previous run's late events are dropped", () => {
    const socket = new FakeSocket();
    const store = createStudioStore();
    const tab = store.getState().tabs[0];
    const router = routeJobEvents(socket, store);
    router.claimJob("old", tab.id);
    router.expectJob(tab.id);
    socket.emit("node:finished", { jobId: "old", nodeId: "a", ms: 1 });
    expect(tab.live.get("a").status).toBeUndefined();
    router.claimJob("new", tab.id);
    socket.emit("node:cached", { jobId: "new", nodeId: "a" });
    socket.emit("job:succeeded", { jobId: "old" });
    expect(tab.live.get("a").status).toBe("cached");
  });

  it("ignores other clients' jobs and clears leftover queued marks when a job ends", () => {
    const socket = new FakeSocket();
    const store = createStudioStore();
    const tab = store.getState().tabs[0];
    const router = routeJobEvents(socket, store);
    socket.emit("node:started", { jobId: "other", nodeId: "a" });
    expect(tab.live.get("a").status).toBeUndefined();
    tab.live.update("unreached", { status: "queued" });
    router.claimJob("mine", tab.id);
    socket.emit("node:failed", {
      jobId: "mine",
      nodeId: "a",
      error: { code: "node_error", message: "boom", nodeId: "a", input: "image" },
    });
    socket.emit("job:failed", { jobId: "mine", error: { code: "node_error", message: "boom" } });
    expect(tab.live.get("a").error?.input).toBe("image");
    expect(tab.live.get("unreached").status).toBeUndefined();
    expect(store.getState().notice).toMatchObject({ kind: "error", text: "boom" });
  });
});

describe("job watching across reconnects", () => {
  const summary = (id: string, status: "queued" | "running" | "succeeded") => ({
    id,
    status,
    createdAt: 1,
    nodeCount: 1,
  });

  it("after a (re)connect watches the tabs' latest jobs, the shown job and the running ones, once", () => {
    const socket = new FakeSocket();
    const store = createStudioStore();
    const tab = store.getState().tabs[0];
    const watched: string[][] = [];
    const router = routeJobEvents(socket, store, { watch: (ids) => watched.push(ids), unwatch: () => undefined });
    router.claimJob("mine", tab.id);
    router.view("shown");
    expect(watched).toEqual([["shown"]]);
    socket.emit("queue", { paused: false, jobs: [summary("someone-elses", "running")] });
    expect(watched).toHaveLength(1);
    router.connected();
    socket.emit("queue", { paused: false, jobs: [summary("someone-elses", "running"), summary("q", "queued")] });
    socket.emit("queue", { paused: false, jobs: [summary("later", "running")] });
    expect(watched).toEqual([["shown"], ["mine", "shown", "someone-elses"]]);
  });

  it("brings a tab up to date from the state of a job that ended while it was away", () => {
    const socket = new FakeSocket();
    const store = createStudioStore();
    const tab = store.getState().tabs[0];
    const router = routeJobEvents(socket, store);
    router.claimJob("mine", tab.id);
    tab.live.update("b", { status: "queued" });
    socket.emit("job:state", {
      ...summary("mine", "succeeded"),
      workflow: { format: "infix-workflow", version: 1, nodes: {}, packs: [] } as never,
      nodes: {
        a: { status: "done", ms: 3, ui: { images: [{ folder: "output", name: "a.png", width: 8, height: 8 }] } },
      },
    });
    expect(tab.live.get("a")).toMatchObject({ status: "done", ms: 3 });
    expect(tab.live.get("b").status).toBeUndefined();
    expect(store.getState().gallery.map((g) => g.ref.name)).toEqual(["a.png"]);
  });

  it("stops watching a shown job when another is shown, unless a tab follows it", () => {
    const socket = new FakeSocket();
    const store = createStudioStore();
    const tab = store.getState().tabs[0];
    const calls: string[] = [];
    const router = routeJobEvents(socket, store, {
      watch: (ids) => calls.push(`watch ${ids.join(",")}`),
      unwatch: (ids) => calls.push(`unwatch ${ids.join(",")}`),
    });
    router.view("a");
    router.view("b");
    router.claimJob("b", tab.id, { watch: true });
    router.view(undefined);
    expect(calls).toEqual(["watch a", "unwatch a", "watch b", "watch b"]);
  });
});

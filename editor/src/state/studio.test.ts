import type { ServerToClientEvents } from "@infix/protocol";
import { describe, expect, it } from "vitest";
import { createApiClient } from "../api/client.ts";
import { indexCatalog } from "./catalog.ts";
import type { EventSource } from "./job-events.ts";
import { addNode } from "./operations.ts";
import { Studio } from "./studio.ts";
import { sampler, testCatalog } from "./test-catalog.ts";

class FakeSocket implements EventSource {
  listeners = new Map<string, (...args: unknown[]) => void>();
  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]) {
    this.listeners.set(event, listener as (...args: unknown[]) => void);
  }
  emit<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>) {
    this.listeners.get(event)?.(...args);
  }
}

function studioWith(respond: (body: unknown, socket: FakeSocket) => Response) {
  const socket = new FakeSocket();
  const requests: { url: string; headers: Record<string, string>; body: unknown }[] = [];
  const api = createApiClient({
    token: "secret",
    fetch: async (url, init) => {
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      requests.push({ url: String(url), headers: init?.headers as Record<string, string>, body });
      return respond(body, socket);
    },
  });
  const studio = new Studio(api);
  studio.store.setState({ catalog: indexCatalog(testCatalog) });
  studio.attachSocket(socket);
  let id = "";
  studio.tab.doc.getState().apply("add", (d) => void (id = addNode(d, sampler, { x: 0, y: 0 })));
  studio.tab.doc.getState().apply("fix seed", (d) => void (d.editor!.nodes[id].seedControl = { seed: "increment" }));
  return { studio, socket, requests, id };
}

const created = (jobId: string) =>
  new Response(JSON.stringify({ job: { id: jobId, status: "queued", createdAt: 1, nodeCount: 1 } }), { status: 201 });

describe("Studio.queue", () => {
  it("posts the workflow with the page token, then advances seeds", async () => {
    const { studio, requests, id } = studioWith(() => created("j1"));
    expect(await studio.queue()).toBe(true);
    expect(requests[0].url).toBe("/api/jobs");
    expect(requests[0].headers["x-infix-token"]).toBe("secret");
    expect(
      (requests[0].body as { workflow: { nodes: Record<string, { inputs: { seed: number } }> } }).workflow.nodes[id]
        .inputs.seed,
    ).toBe(42);
    expect(studio.tab.doc.getState().workflow.nodes[id].inputs.seed).toBe(43);
  });

  it("keeps the failure of a job that finished before the submit reply arrived", async () => {
    const { studio, id } = studioWith((_body, socket) => {
      socket.emit("node:failed", {
        jobId: "fast",
        nodeId: id,
        error: { code: "x", message: "broke at once", nodeId: id },
      });
      socket.emit("job:failed", { jobId: "fast", error: { code: "x", message: "broke at once" } });
      return created("fast");
    });
    await studio.queue();
    expect(studio.tab.live.get(id).status).toBe("failed");
    expect(studio.store.getState().notice?.text).toBe("broke at once");
  });

  it("marks a 400's problems on their nodes and inputs and leaves the seeds alone", async () => {
    const problem = { code: "out_of_range", message: "steps must be at most 150", nodeId: "1", input: "steps" };
    const { studio, id } = studioWith(
      () => new Response(JSON.stringify({ error: "invalid workflow", problems: [problem] }), { status: 400 }),
    );
    expect(await studio.queue()).toBe(false);
    expect(studio.tab.live.get(id).problems).toContainEqual(problem);
    expect(studio.store.getState().notice?.kind).toBe("error");
    expect(studio.tab.doc.getState().workflow.nodes[id].inputs.seed).toBe(42);
  });
});

describe("Studio.open", () => {
  it("marks unknown node types and values the server no longer offers, and names missing packs", async () => {
    const packages = [
      {
        name: "blip-diffusion",
        kinds: [{ kind: "model-pack", title: "model pack", help: "Install it." }],
        resources: [{ kind: "model-pack", id: "tiny", title: "tiny", details: {} }],
        notices: [],
      },
    ];
    const { studio } = studioWith(() => new Response(JSON.stringify({ packages }), { status: 200 }));
    studio.newTab();
    const ok = studio.open({
      format: "infix-workflow",
      version: 2,
      nodes: {
        gone: { type: "Vanished", inputs: {} },
        s: { type: "Sampler", inputs: { scheduler: "heun", steps: 20, cfg: 7.5, seed: 1 } },
      },
      requires: [
        { kind: "model-pack", id: "tiny" },
        { kind: "model-pack", id: "blip-diffusion-real" },
      ],
    });
    expect(ok).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(studio.tab.live.get("gone").problems?.[0].code).toBe("unknown_node_type");
    // Marked as live validation marks them, the unlinked latents included.
    expect(studio.tab.live.get("s").problems?.map((p) => [p.code, p.input])).toEqual([
      ["missing_input", "latents"],
      ["not_an_option", "scheduler"],
    ]);
    const notice = studio.store.getState().notice?.text ?? "";
    expect(notice).toContain("Vanished");
    expect(notice).toContain("Missing model pack(s): blip-diffusion-real. Install it.");
  });

  it("marks a mistyped node type with the type it most likely meant, on the node and in the notice", async () => {
    const { studio } = studioWith(() => new Response(JSON.stringify({ packs: [] }), { status: 200 }));
    studio.newTab();
    studio.open({ format: "infix-workflow", version: 1, nodes: { typo: { type: "Samplr", inputs: {} } } });
    await new Promise((r) => setTimeout(r, 0));
    expect(studio.tab.live.get("typo").problems?.[0]).toMatchObject({
      code: "unknown_node_type",
      found: "Samplr",
      suggestion: "Sampler",
    });
    expect(studio.store.getState().notice?.text).toContain("Samplr (did you mean Sampler?)");
  });

  it("refuses a file that is not a workflow, saying why", () => {
    const { studio } = studioWith(() => new Response("{}"));
    expect(studio.open({ hello: "world" }, { title: "notes.json" })).toBe(false);
    expect(studio.store.getState().notice?.text).toMatch(/^Cannot open notes.json: This is not an Infix workflow/);
  });
});

describe("Studio.openWelcomeExample", () => {
  const example = (type: string) => ({
    format: "infix-workflow",
    version: 1,
    name: "zero-shot",
    nodes: { s: { type, inputs: { scheduler: "pndm", steps: 20, cfg: 7.5, seed: 1 } } },
  });
  function studioServing(examples: string[], workflow: unknown) {
    const api = createApiClient({
      fetch: async (url) =>
        String(url) === "/api/examples"
          ? new Response(JSON.stringify({ examples: examples.map((name) => ({ name, title: name, description: "" })) }))
          : new Response(JSON.stringify(workflow)),
    });
    const studio = new Studio(api);
    studio.store.setState({ catalog: indexCatalog(testCatalog) });
    return studio;
  }

  it("opens the zero-shot example into the untouched first tab, not marked unsaved", async () => {
    const studio = studioServing(["other", "zero-shot-generation"], example("Sampler"));
    expect(await studio.openWelcomeExample()).toBe(true);
    expect(studio.store.getState().tabs).toHaveLength(1);
    expect(Object.keys(studio.tab.doc.getState().workflow.nodes)).toEqual(["s"]);
    expect(studio.dirtyTabs()).toEqual([]);
  });

  it("keeps the empty tab when the server lacks the example or one of its node types", async () => {
    const missing = studioServing(["other"], example("Sampler"));
    expect(await missing.openWelcomeExample()).toBe(false);
    const unknownTypes = studioServing(["zero-shot-generation"], example("Teleport"));
    expect(await unknownTypes.openWelcomeExample()).toBe(false);
    expect(Object.keys(unknownTypes.tab.doc.getState().workflow.nodes)).toEqual([]);
  });

  it("leaves a graph the user started meanwhile alone", async () => {
    const studio = studioServing(["zero-shot-generation"], example("Sampler"));
    studio.tab.doc.getState().apply("add", (d) => void addNode(d, sampler, { x: 0, y: 0 }));
    expect(await studio.openWelcomeExample()).toBe(false);
    expect(studio.store.getState().tabs).toHaveLength(1);
  });
});

describe("notices and marks after later actions", () => {
  it("keeps the editor's marks on unlinked inputs after a refused Queue, with the server's problems added", async () => {
    const refusal = {
      error: "the workflow has 1 problem(s)",
      problems: [{ code: "out_of_range", message: "steps too big", nodeId: "x", input: "steps" }],
    };
    const { studio, id } = studioWith(() => new Response(JSON.stringify(refusal), { status: 400 }));
    // The test catalog's sampler has required links (model, latent…) left unlinked: the editor marks them.
    const before = (await import("./live-validation.ts")).problemsByNode(
      studio.tab.doc.getState().workflow,
      studio.store.getState().catalog!,
    );
    expect(before.get(id)?.some((p) => p.code === "missing_input")).toBe(true);
    expect(await studio.queue()).toBe(false);
    const marks = studio.tab.live.get(id).problems ?? [];
    expect(marks.some((p) => p.code === "missing_input")).toBe(true);
  });

  it("clears a stale error once a later action succeeds, but keeps information", () => {
    const { studio } = studioWith(() => created("j"));
    studio.notify("error", "No workflow in dog.png: …");
    studio.succeeded();
    expect(studio.store.getState().notice).toBeUndefined();
    studio.notify("info", "Saved “x” (version 1).");
    studio.succeeded();
    expect(studio.store.getState().notice?.text).toContain("Saved");
  });

  it("records the seeds a job ran with, for the gallery and the running node, before the widget moves on", async () => {
    const { studio, id } = studioWith(() => created("j-seeds"));
    await studio.queue();
    expect(studio.store.getState().jobSeeds["j-seeds"]).toEqual([{ nodeId: id, input: "seed", value: 42 }]);
    expect(studio.tab.live.get(id).runSeeds).toEqual({ seed: 42 });
    expect(studio.tab.doc.getState().workflow.nodes[id].inputs.seed).toBe(43);
  });
});

describe("examples", () => {
  it("focuses an example's tab when it is opened again unchanged, and opens a copy once it was edited", async () => {
    const example = { format: "infix-workflow", version: 2, name: "Ex", nodes: {}, requires: [] };
    const { studio } = studioWith(() => new Response(JSON.stringify(example), { status: 200 }));
    studio.newTab();
    await studio.openExample("ex");
    const first = studio.tab.id;
    expect(studio.tab.doc.getState().savedAt).toBe(0); // not marked unsaved
    studio.newTab();
    await studio.openExample("ex");
    expect(studio.tab.id).toBe(first);
    const count = studio.store.getState().tabs.length;
    studio.tab.doc.getState().apply("rename", (d) => void (d.name = "changed"));
    await studio.openExample("ex");
    expect(studio.store.getState().tabs.length).toBe(count + 1);
    expect(studio.tab.id).not.toBe(first);
  });
});

import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutputCache } from "../cache/output-cache.ts";
import type { Workflow, WorkflowNode } from "../graph/workflow.ts";
import { NodeRegistry } from "../nodes/registry.ts";
import { makeImage } from "../testing/image.ts";
import { recordEvents, testFiles, testNodePackage, testOptionsKey, testResources } from "../testing/index.ts";
import { Executor } from "./executor.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "infix-executor-"));
  await mkdir(join(root, "input"), { recursive: true });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function workflowOf(nodes: Record<string, Partial<WorkflowNode> & { type: string }>): Workflow {
  const full: Record<string, WorkflowNode> = {};
  for (const [id, node] of Object.entries(nodes)) full[id] = { mode: "active", inputs: {}, ...node };
  return { format: "infix-workflow", version: 2, nodes: full, requires: [] };
}
const link = (node: string, output: string) => ({ node, output });

function setup(budgetBytes = 64 * 1024 * 1024) {
  const cache = new OutputCache({ budgetBytes });
  const executor = new Executor({
    registry: new NodeRegistry([testNodePackage]),
    cache,
    resources: testResources([[testOptionsKey, ["red", "green"]]]),
    files: testFiles(root),
    log: { info: () => {}, warn: () => {} },
  });
  const run = async (workflow: Workflow, options: { targets?: string[]; signal?: AbortSignal } = {}) => {
    const recorder = recordEvents();
    const result = await executor.execute({
      workflow,
      targets: options.targets,
      signal: options.signal ?? new AbortController().signal,
      events: recorder.events,
    });
    return { ...result, log: recorder.log };
  };
  return { cache, executor, run };
}

/** one → left ↘ join → show;  two → right ↗ */
function diamond(): Workflow {
  return workflowOf({
    one: { type: "IntConstant", inputs: { value: 1 } },
    two: { type: "IntConstant", inputs: { value: 2 } },
    left: { type: "AddInts", inputs: { a: link("one", "value"), b: 10 } },
    right: { type: "AddInts", inputs: { a: link("two", "value"), b: 20 } },
    join: { type: "AddInts", inputs: { a: link("left", "sum"), b: link("right", "sum") } },
    show: { type: "ShowValue", inputs: { value: link("join", "sum") } },
  });
}

describe("Executor: running", () => {
  it("runs every needed node in dependency order and returns what output nodes showed", async () => {
    const { run } = setup();
    const result = await run(diamond());
    expect(result.status).toBe("succeeded");
    expect(result.ran).toEqual(["one", "two", "left", "right", "join", "show"]);
    expect(result.ui).toEqual({ show: { text: ["33"] } });
    expect(result.log.filter(([name]) => name === "nodeStarted").map(([, id]) => id)).toEqual(result.ran);
  });

  it("runs only up to the given targets", async () => {
    const { run } = setup();
    expect((await run(diamond(), { targets: ["left"] })).ran).toEqual(["one", "left"]);
  });

  it("runs nothing when the workflow is invalid, reporting every problem", async () => {
    const { run } = setup();
    const workflow = workflowOf({
      img: { type: "MakeImage", inputs: { width: 64, height: 8 } }, // the node's own validate hook: too wide
      pick: { type: "PickOption", inputs: { choice: "blue" } }, // options come from resources at run time
      show1: { type: "ShowValue", inputs: { value: link("img", "image") } },
      show2: { type: "ShowValue", inputs: { value: link("pick", "choice") } },
    });
    const result = await run(workflow);
    expect(result.status).toBe("failed");
    expect(result.ran).toEqual([]);
    expect(result.log).toEqual([]);
    expect(result.problems?.map((p) => [p.code, p.nodeId])).toEqual([
      ["invalid_value", "img"],
      ["not_an_option", "pick"],
    ]);
    expect(result.problems?.[1]).toMatchObject({ expected: "red, green", found: "blue" });
    expect(result.error).toEqual(result.problems?.[0]);
  });

  it("answers an unknown node type with the registered type it most likely meant, as the server's queue replies", () => {
    const { executor } = setup();
    const problems = executor.validate(
      workflowOf({
        one: { type: "intconstant", inputs: { value: 1 } },
        show: { type: "ShowValue", inputs: { value: link("one", "value") } },
      }),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        code: "unknown_node_type",
        nodeId: "one",
        found: "intconstant",
        suggestion: "IntConstant",
      }),
    ]);
  });

  it("ends a validate hook's message with one full stop, whether or not the hook wrote one", async () => {
    const withStop = {
      ...makeImage,
      schema: { ...makeImage.schema, type: "MakeImageWithStop" },
      validate: () => ["width is odd."],
    };
    const executor = new Executor({
      registry: new NodeRegistry([testNodePackage, { name: "stop", nodes: [withStop], socketTypes: [] }]),
      cache: new OutputCache({ budgetBytes: 1024 }),
      resources: testResources(),
      files: testFiles(root),
    });
    const problems = executor.validate(
      workflowOf({
        a: { type: "MakeImage", inputs: { width: 64, height: 8 } },
        b: { type: "MakeImageWithStop", inputs: {} },
        showA: { type: "ShowValue", inputs: { value: link("a", "image") } },
        showB: { type: "ShowValue", inputs: { value: link("b", "image") } },
      }),
    );
    expect(problems.map((problem) => problem.message.replace(/^.*\): /, ""))).toEqual([
      "width must be at most 4 × the height.",
      "width is odd.",
    ]);
  });

  it("accepts a run-time option and passes it on", async () => {
    const { run } = setup();
    const workflow = workflowOf({
      pick: { type: "PickOption", inputs: { choice: "green" } },
      show: { type: "ShowValue", inputs: { value: link("pick", "choice") } },
    });
    expect((await run(workflow)).ui.show).toEqual({ text: ["green"] });
  });

  it("reports a failing node with its problem and runs nothing after it", async () => {
    const { run } = setup();
    const workflow = workflowOf({
      one: { type: "IntConstant", inputs: { value: 1 } },
      fail: { type: "Fail", inputs: { message: "boom", after: link("one", "value") } },
      show: { type: "ShowValue", inputs: { value: link("fail", "value") } },
    });
    const result = await run(workflow);
    expect(result.status).toBe("failed");
    expect(result.error).toEqual({ code: "test_failure", message: "boom", nodeId: "fail" });
    expect(result.ran).toEqual(["one"]);
    expect(result.log.at(-1)).toEqual(["nodeFailed", "fail", result.error]);
  });

  it("reports progress and previews from inside a node", async () => {
    const { run } = setup();
    const workflow = workflowOf({
      slow: { type: "SlowCount", inputs: { steps: 3, step_ms: 0 } },
      show: { type: "ShowValue", inputs: { value: link("slow", "count") } },
    });
    const result = await run(workflow);
    expect(result.log.filter(([name]) => name === "progress")).toEqual([
      ["progress", "slow", 1, 3],
      ["progress", "slow", 2, 3],
      ["progress", "slow", 3, 3],
    ]);
    expect(result.log.find(([name]) => name === "preview")).toEqual([
      "preview",
      "slow",
      { width: 1, height: 1, rgb: new Uint8Array([3, 0, 0]) },
    ]);
  });
});

describe("Executor: caching", () => {
  it("plans a workflow's cache keys without running it: the keys its run stores, and only the changed branch's differ", async () => {
    const { executor, cache, run } = setup();
    const keys = await executor.cacheKeys(diamond());
    expect(cache.keys()).toEqual([]);
    expect([...keys!.keys()]).toEqual(["one", "two", "left", "right", "join", "show"]);
    const result = await run(diamond());
    expect(result.cacheKeys).toEqual(Object.fromEntries(keys!));
    expect(new Set(cache.keys())).toEqual(new Set(keys!.values()));
    const changed = diamond();
    changed.nodes.right.inputs.b = 21;
    const after = (await executor.cacheKeys(changed))!;
    const same = [...after].filter(([id, key]) => keys!.get(id) === key).map(([id]) => id);
    expect(same).toEqual(["one", "two", "left"]);
    const invalid = diamond();
    invalid.nodes.join.inputs.a = link("nowhere", "sum");
    expect(await executor.cacheKeys(invalid)).toBeUndefined();
  });

  it("serves a fully cached re-run from the output node alone, replaying what it showed", async () => {
    const { run } = setup();
    await run(diamond());
    const again = await run(diamond());
    expect(again.ran).toEqual([]);
    expect(again.cached).toEqual(["show"]);
    expect(again.ui).toEqual({ show: { text: ["33"] } });
    // The nodes above it did not need to run, and are reported as cached (up to date) too.
    expect(again.spared).toEqual(["one", "two", "left", "right", "join"]);
    expect(again.log).toEqual([
      ["nodeCached", "one", undefined],
      ["nodeCached", "two", undefined],
      ["nodeCached", "left", undefined],
      ["nodeCached", "right", undefined],
      ["nodeCached", "join", undefined],
      ["nodeCached", "show", { text: ["33"] }],
    ]);
  });

  it("reports a spared node as cached only while its own outputs are still in the cache", async () => {
    const { run, cache } = setup();
    await run(diamond());
    // Keep only the output node's entry: everything above it is spared but no longer cached.
    const showKey = [...cache.keys()].find((key) => (cache.get(key) as { ui?: unknown }).ui !== undefined);
    for (const key of [...cache.keys()]) if (key !== showKey) cache.delete(key);
    const again = await run(diamond());
    expect(again.ran).toEqual([]);
    expect(again.cached).toEqual(["show"]);
    expect(again.spared).toEqual([]);
    expect(again.log).toEqual([["nodeCached", "show", { text: ["33"] }]]);
  });

  it("re-runs only the changed node and its descendants after a widget change", async () => {
    const { run } = setup();
    await run(diamond());
    const edited = diamond();
    edited.nodes.left.inputs.b = 100;
    const result = await run(edited);
    expect(result.ran).toEqual(["left", "join", "show"]);
    expect(result.cached).toEqual(["one", "right"]);
    expect(result.ui.show).toEqual({ text: ["123"] });
  });

  it("recomputes nothing when a node is moved or renamed in the editor", async () => {
    const { run } = setup();
    await run(diamond());
    const moved = diamond();
    moved.editor = { nodes: { join: { position: { x: 900, y: 40 } } }, groups: [], notes: [] };
    moved.nodes.join.title = "Total";
    expect((await run(moved)).ran).toEqual([]);
  });

  it("re-runs a file-reading node when the file's content changes, not when it stays", async () => {
    const { run } = setup();
    const file = join(root, "input", "note.txt");
    const workflow = workflowOf({
      read: { type: "ReadTextFile", inputs: { file: "note.txt" } },
      show: { type: "ShowValue", inputs: { value: link("read", "text") } },
    });
    await writeFile(file, "first");
    expect((await run(workflow)).ui.show).toEqual({ text: ["first"] });
    expect((await run(workflow)).ran).toEqual([]);
    await writeFile(file, "second");
    const changed = await run(workflow);
    expect(changed.ran).toEqual(["read", "show"]);
    expect(changed.ui.show).toEqual({ text: ["second"] });
  });

  it("fails the reading node cleanly when its cache-key material cannot be read", async () => {
    const { run } = setup();
    const workflow = workflowOf({
      read: { type: "ReadTextFile", inputs: { file: "missing.txt" } },
      show: { type: "ShowValue", inputs: { value: link("read", "text") } },
    });
    const result = await run(workflow);
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "node_error", nodeId: "read" });
    expect(result.log).toEqual([["nodeFailed", "read", result.error]]);
  });

  it("re-runs what was evicted under the byte budget and serves what was kept", async () => {
    // Each 64×64 image is 3·64·64·4 = 49,152 bytes; the budget holds one.
    const { run, cache } = setup(60_000);
    const workflow = workflowOf({
      a: { type: "MakeImage", inputs: { width: 64, height: 64, value: 0.25 } },
      b: { type: "MakeImage", inputs: { width: 64, height: 64, value: 0.75 } },
    });
    expect((await run(workflow, { targets: ["a", "b"] })).ran).toEqual(["a", "b"]);
    expect(cache.stats()).toMatchObject({ entries: 1, evictions: 1 });
    const again = await run(workflow, { targets: ["a", "b"] });
    expect(again.ran).toEqual(["a"]);
    expect(again.cached).toEqual(["b"]);
  });

  it("still runs downstream nodes when an output is too big to cache", async () => {
    const { run, cache } = setup(1_000);
    const workflow = workflowOf({
      img: { type: "MakeImage", inputs: { width: 64, height: 64 } },
      show: { type: "ShowValue", inputs: { value: link("img", "image") } },
    });
    const result = await run(workflow);
    expect(result.ui.show).toEqual({ text: ["tensor [1,3,64,64]"] });
    expect(cache.stats().rejected).toBe(1);
    expect((await run(workflow)).ran).toEqual([]); // the show node's own small entry was kept
  });

  it("runs a node identical to one already run in the job only once", async () => {
    const { run } = setup();
    const workflow = workflowOf({
      x: { type: "IntConstant", inputs: { value: 7 } },
      y: { type: "IntConstant", inputs: { value: 7 } },
      sx: { type: "ShowValue", inputs: { value: link("x", "value") } },
      sy: { type: "ShowValue", inputs: { value: link("y", "value") } },
    });
    const result = await run(workflow);
    expect(result.ran).toEqual(["x", "sx"]);
    expect(result.cached).toEqual(["y", "sy"]);
  });
});

describe("Executor: lists", () => {
  const fanOut = () =>
    workflowOf({
      range: { type: "RangeList", inputs: { start: 1, count: 3 } },
      add: { type: "AddInts", inputs: { a: link("range", "values"), b: 10 } },
      show: { type: "ShowValue", inputs: { value: link("add", "sum") } },
      sum: { type: "SumList", inputs: { values: link("add", "sum") } },
      showSum: { type: "ShowValue", inputs: { value: link("sum", "sum") } },
    });

  it("runs a node once per list item, and its outputs become lists", async () => {
    const { run } = setup();
    const result = await run(fanOut());
    expect(result.ui.show).toEqual({ text: ["11", "12", "13"] });
    expect(result.ui.showSum).toEqual({ text: ["36"] });
  });

  it("caches a fanned-out node's whole list", async () => {
    const { run } = setup();
    await run(fanOut());
    const edited = fanOut();
    edited.nodes.showSum.title = "unchanged";
    edited.nodes.sum.inputs = { values: link("add", "sum") };
    const again = await run(edited);
    expect(again.ran).toEqual([]);
    expect(again.cached).toEqual(["show", "showSum"]);
  });

  it("zips two lists, repeating the shorter one's last item", async () => {
    const { run } = setup();
    const workflow = workflowOf({
      long: { type: "RangeList", inputs: { start: 0, count: 3 } },
      short: { type: "RangeList", inputs: { start: 100, count: 2 } },
      add: { type: "AddInts", inputs: { a: link("long", "values"), b: link("short", "values") } },
      show: { type: "ShowValue", inputs: { value: link("add", "sum") } },
    });
    expect((await run(workflow)).ui.show).toEqual({ text: ["100", "102", "103"] });
  });

  it("runs a node zero times over an empty list", async () => {
    const { run } = setup();
    const workflow = workflowOf({
      none: { type: "RangeList", inputs: { count: 0 } },
      show: { type: "ShowValue", inputs: { value: link("none", "values") } },
      sum: { type: "SumList", inputs: { values: link("none", "values") } },
      showSum: { type: "ShowValue", inputs: { value: link("sum", "sum") } },
    });
    const result = await run(workflow);
    expect(result.status).toBe("succeeded");
    expect(result.ui.show).toBeUndefined();
    expect(result.ui.showSum).toEqual({ text: ["0"] });
  });

  it("gives a list-accepting input a one-item list when fed a single value", async () => {
    const { run } = setup();
    const workflow = workflowOf({
      n: { type: "IntConstant", inputs: { value: 42 } },
      sum: { type: "SumList", inputs: { values: link("n", "value") } },
      show: { type: "ShowValue", inputs: { value: link("sum", "sum") } },
    });
    expect((await run(workflow)).ui.show).toEqual({ text: ["42"] });
  });
});

describe("Executor: mute and bypass", () => {
  it("passes a bypassed node's first input of the matching type through", async () => {
    const { run } = setup();
    const workflow = workflowOf({
      n: { type: "IntConstant", inputs: { value: 5 } },
      add: { type: "AddInts", mode: "bypassed", inputs: { a: link("n", "value"), b: 100 } },
      show: { type: "ShowValue", inputs: { value: link("add", "sum") } },
    });
    const result = await run(workflow);
    expect(result.ran).toEqual(["n", "show"]);
    expect(result.ui.show).toEqual({ text: ["5"] });
  });

  it("never runs a muted output node, nor what only it needed", async () => {
    const { run } = setup();
    const workflow = diamond();
    workflow.nodes.show2 = { type: "ShowValue", mode: "muted", inputs: { value: link("right", "sum") } };
    workflow.nodes.show.inputs.value = link("left", "sum");
    expect((await run(workflow)).ran).toEqual(["one", "left", "show"]);
  });

  it("refuses to run a node whose required input comes from a muted node", async () => {
    const { run } = setup();
    const workflow = diamond();
    workflow.nodes.right.mode = "muted";
    const result = await run(workflow);
    expect(result.status).toBe("failed");
    expect(result.problems).toEqual([
      expect.objectContaining({ code: "link_to_muted_node", nodeId: "join", input: "b", found: "right" }),
    ]);
  });
});

describe("Executor: cancellation", () => {
  it("stops mid-node when cancelled, caching only the nodes that completed", async () => {
    const { run, cache } = setup();
    const workflow = workflowOf({
      n: { type: "IntConstant", inputs: { value: 400 } },
      slow: { type: "SlowCount", inputs: { steps: 400, step_ms: 5 } },
      add: { type: "AddInts", inputs: { a: link("n", "value"), b: link("slow", "count") } },
      show: { type: "ShowValue", inputs: { value: link("add", "sum") } },
    });
    const controller = new AbortController();
    const recorder = recordEvents();
    const originalProgress = recorder.events.progress;
    recorder.events.progress = (nodeId, step, total) => {
      originalProgress(nodeId, step, total);
      if (step === 2) controller.abort();
    };
    const executor = new Executor({
      registry: new NodeRegistry([testNodePackage]),
      cache,
      resources: testResources(),
      files: testFiles(root),
    });
    const started = performance.now();
    const result = await executor.execute({ workflow, signal: controller.signal, events: recorder.events });
    expect(performance.now() - started).toBeLessThan(1_000); // 400 steps × 5 ms would take 2 s
    expect(result.status).toBe("cancelled");
    expect(result.ran).toEqual(["n"]);
    // A cancelled node is neither finished nor failed.
    expect(recorder.log.filter(([name]) => name !== "progress").map(([name, id]) => `${name} ${id}`)).toEqual([
      "nodeStarted n",
      "nodeFinished n",
      "nodeStarted slow",
    ]);
    expect(cache.stats().entries).toBe(1);

    const resumed = await run(workflow, { targets: ["n"] });
    expect(resumed.cached).toEqual(["n"]);
  });

  it("runs nothing when the signal is already aborted", async () => {
    const { run } = setup();
    const controller = new AbortController();
    controller.abort();
    const result = await run(diamond(), { signal: controller.signal });
    expect(result).toMatchObject({ status: "cancelled", ran: [], cached: [] });
  });
});

import { describe, expect, it } from "vitest";
import { computeCacheKeys } from "./cache-key.ts";
import { fnv1a64 } from "./hash.ts";
import { link, testCatalog, workflowOf } from "./fixtures/catalog.ts";
import { defaultTargets, planExecution, resolveInput, schemaLookup } from "./plan.ts";
import type { Workflow } from "./workflow.ts";

const lookup = schemaLookup(testCatalog);

/** A diamond: two constants, two adders, one more adder joining them, shown twice. */
function diamond(): Workflow {
  return workflowOf({
    show: { type: "ShowValue", inputs: { value: link("join", "sum") } },
    join: { type: "AddInts", inputs: { a: link("left", "sum"), b: link("right", "sum") } },
    left: { type: "AddInts", inputs: { a: link("one", "value"), b: 10 } },
    right: { type: "AddInts", inputs: { a: link("two", "value"), b: 20 } },
    one: { type: "IntConstant", inputs: { value: 1 } },
    two: { type: "IntConstant", inputs: { value: 2 } },
    stray: { type: "IntConstant", inputs: { value: 3 } },
  });
}

describe("planExecution", () => {
  it("orders dependencies before dependents, the earliest ready node in the document first", () => {
    expect(planExecution(diamond(), lookup).order).toEqual(["one", "left", "two", "right", "join", "show"]);
  });

  it("needs only what the targets read", () => {
    expect(planExecution(diamond(), lookup, ["left"]).order).toEqual(["one", "left"]);
    expect([...planExecution(diamond(), lookup).nodes.keys()].sort()).toEqual([
      "join",
      "left",
      "one",
      "right",
      "show",
      "two",
    ]);
  });

  it("takes every active output node as the default targets", () => {
    const workflow = diamond();
    workflow.nodes.show2 = { type: "ShowValue", mode: "muted", inputs: { value: link("one", "value") } };
    workflow.nodes.show3 = { type: "ShowValue", mode: "active", inputs: { value: link("two", "value") } };
    expect(defaultTargets(workflow, lookup)).toEqual(["show", "show3"]);
  });

  it("never plans muted or bypassed nodes, seeing through bypassed ones", () => {
    const workflow = workflowOf({
      img: { type: "MakeImage" },
      blur1: { type: "Blur", mode: "bypassed", inputs: { image: link("img", "image") } },
      blur2: { type: "Blur", mode: "bypassed", inputs: { image: link("blur1", "image") } },
      save: { type: "SaveImage", inputs: { images: link("blur2", "image") } },
    });
    const plan = planExecution(workflow, lookup);
    expect(plan.order).toEqual(["img", "save"]);
    expect(plan.nodes.get("save")?.inputs.images).toEqual({
      kind: "link",
      node: "img",
      output: "image",
      via: ["blur2", "blur1"],
    });
  });

  it("resolves a bypassed node's literal to the consumer as a value", () => {
    const workflow = workflowOf({
      add: { type: "AddInts", mode: "bypassed", inputs: { a: 7 } },
      show: { type: "ShowValue", inputs: { value: link("add", "sum") } },
    });
    expect(resolveInput(workflow, lookup, "show", { name: "value", type: "*" })).toEqual({
      kind: "value",
      value: 7,
      isDefault: false,
    });
  });

  it("finds each cycle and leaves its nodes out of the order", () => {
    const workflow = workflowOf({
      a: { type: "AddInts", inputs: { a: link("b", "sum") } },
      b: { type: "AddInts", inputs: { a: link("a", "sum") } },
      c: { type: "IntConstant" },
      show: { type: "ShowValue", inputs: { value: link("b", "sum") } },
      show2: { type: "ShowValue", inputs: { value: link("c", "value") } },
    });
    const plan = planExecution(workflow, lookup);
    expect(plan.cycles).toEqual([["a", "b"]]);
    expect(plan.order).toEqual(["c", "show2"]);
  });

  it("handles a long chain without recursion limits", () => {
    const nodes: Parameters<typeof workflowOf>[0] = { n0: { type: "IntConstant" } };
    for (let i = 1; i < 20_000; i++)
      nodes[`n${i}`] = { type: "AddInts", inputs: { a: link(`n${i - 1}`, i === 1 ? "value" : "sum") } };
    nodes.show = { type: "ShowValue", inputs: { value: link("n19999", "sum") } };
    const plan = planExecution(workflowOf(nodes), lookup);
    expect(plan.order.length).toBe(20_001);
    expect(plan.order[0]).toBe("n0");
  });
});

describe("cache keys", () => {
  const keysOf = (workflow: Workflow, extras?: Map<string, string>) =>
    computeCacheKeys(planExecution(workflow, lookup), extras);

  it("are the same for the same workflow built separately", () => {
    expect(keysOf(diamond())).toEqual(keysOf(diamond()));
  });

  it("are pinned for a fixed node, so they stay stable across processes and releases", () => {
    const keys = keysOf(
      workflowOf({
        one: { type: "IntConstant", inputs: { value: 1 } },
        show: { type: "ShowValue", inputs: { value: link("one", "value") } },
      }),
    );
    // The key material is this exact canonical JSON, hashed with FNV-1a 64 (hash.test.ts checks the hash itself).
    const material = '{"extra":null,"inputs":{"value":{"value":1}},"type":"IntConstant","version":1}';
    expect(keys.get("one")).toBe(fnv1a64(material));
    // Pinned literal (computed with an independent BigInt FNV-1a): a change here invalidates every saved key.
    expect(keys.get("one")).toBe("c5aaf2197c991966");
    expect(keys.get("show")).toBe(
      fnv1a64(
        `{"extra":null,"inputs":{"value":{"from":"${fnv1a64(material)}","output":"value"}},"type":"ShowValue","version":1}`,
      ),
    );
  });

  it("change for the edited node and its descendants only", () => {
    const before = keysOf(diamond());
    const edited = diamond();
    edited.nodes.left.inputs.b = 11;
    const after = keysOf(edited);
    const changed = [...before.keys()].filter((id) => before.get(id) !== after.get(id));
    expect(changed.sort()).toEqual(["join", "left", "show"]);
  });

  it("ignore editor data, titles and input order", () => {
    const before = keysOf(diamond());
    const moved = diamond();
    moved.editor = { nodes: { left: { position: { x: 500, y: 9 } } }, groups: [], notes: [] };
    moved.nodes.left.title = "renamed";
    moved.nodes.left.inputs = { b: 10, a: link("one", "value") };
    expect(keysOf(moved)).toEqual(before);
  });

  it("treat a left-out widget like its default", () => {
    const explicit = workflowOf({
      n: { type: "IntConstant", inputs: { value: 0 } },
      s: { type: "ShowValue", inputs: { value: link("n", "value") } },
    });
    const implicit = workflowOf({
      n: { type: "IntConstant" },
      s: { type: "ShowValue", inputs: { value: link("n", "value") } },
    });
    expect(keysOf(implicit)).toEqual(keysOf(explicit));
  });

  it("include the node's extra material (e.g. a file hash) and pass it downstream", () => {
    const before = keysOf(diamond(), new Map([["one", "file:aaa"]]));
    const after = keysOf(diamond(), new Map([["one", "file:bbb"]]));
    expect(after.get("one")).not.toBe(before.get("one"));
    expect(after.get("left")).not.toBe(before.get("left"));
    expect(after.get("right")).toBe(before.get("right"));
  });

  it("do not change when a bypassed node is added in the path", () => {
    const direct = workflowOf({
      img: { type: "MakeImage" },
      save: { type: "SaveImage", inputs: { images: link("img", "image") } },
    });
    const bypassed = workflowOf({
      img: { type: "MakeImage" },
      blur: { type: "Blur", mode: "bypassed", inputs: { image: link("img", "image") } },
      save: { type: "SaveImage", inputs: { images: link("blur", "image") } },
    });
    expect(keysOf(bypassed).get("save")).toBe(keysOf(direct).get("save"));
  });
});

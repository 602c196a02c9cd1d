import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emptyWorkflow } from "../graph/workflow.ts";
import { checkWorkflowName, WorkflowStore } from "./workflow-store.ts";

const base = mkdtempSync(join(tmpdir(), "infix-wf-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("checkWorkflowName", () => {
  it.each(["portrait v2", "a_b-c.1"])("accepts %j", (name) => expect(checkWorkflowName(name)).toBeNull());
  it.each(["", "..", ".hidden", "a/b", "a\\b", "x.", "x ", "a".repeat(101)])("refuses %j", (name) =>
    expect(checkWorkflowName(name)).not.toBeNull(),
  );
});

describe("WorkflowStore", () => {
  it("keeps each save as a numbered version and reads any of them back", async () => {
    const store = new WorkflowStore(join(base, "w"));
    await store.save("dog", { ...emptyWorkflow(), name: "first" });
    const info = await store.save("dog", { ...emptyWorkflow(), name: "second" });
    expect(info).toMatchObject({ name: "dog", versions: 2 });
    expect((await store.read("dog"))?.name).toBe("second");
    expect((await store.read("dog", 1))?.name).toBe("first");
    expect(await store.read("dog", 9)).toBeNull();
    expect((await store.versions("dog")).map((v) => v.version)).toEqual([1, 2]);
    expect((await store.list()).map((w) => w.name)).toEqual(["dog"]);
    expect(await store.remove("dog")).toBe(true);
    expect(await store.list()).toEqual([]);
  });

  it("reads a workflow saved in an older format version, migrated", async () => {
    const store = new WorkflowStore(join(base, "old"));
    mkdirSync(join(base, "old", "cat"), { recursive: true });
    const v1 = { format: "infix-workflow", version: 1, name: "cat", nodes: {}, packs: [{ name: "tiny" }] };
    writeFileSync(join(base, "old", "cat", "1.json"), JSON.stringify(v1));
    expect(await store.read("cat")).toMatchObject({
      version: 2,
      name: "cat",
      requires: [{ kind: "model-pack", id: "tiny" }],
    });
  });

  it("prunes versions beyond the limit, keeping the newest", async () => {
    const store = new WorkflowStore(join(base, "p"), 2);
    for (const name of ["a", "b", "c"]) await store.save("x", { ...emptyWorkflow(), name });
    expect((await store.versions("x")).map((v) => v.version)).toEqual([2, 3]);
  });

  it("throws on an unsafe name rather than touching the disk", async () => {
    await expect(new WorkflowStore(base).save("../evil", emptyWorkflow())).rejects.toThrow(RangeError);
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { workflowJsonSchema } from "./json-schema.ts";
import { AnyVersionWorkflowSchema, parseWorkflow, serializeWorkflow } from "./parse.ts";
import { WORKFLOW_VERSION } from "./workflow.ts";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const read = (path: string): unknown => JSON.parse(readFileSync(fixtures + path, "utf8"));
const savedFiles = ["v0", "v1", "v2"].flatMap((folder) =>
  readdirSync(fixtures + folder)
    .filter((name) => name.endsWith(".json"))
    .map((name) => `${folder}/${name}`),
);

describe("parseWorkflow on the saved files", () => {
  it("has saved files of every version to test on", () => {
    expect(savedFiles.some((file) => file.startsWith("v0/"))).toBe(true);
    expect(savedFiles.some((file) => file.startsWith(`v${WORKFLOW_VERSION}/`))).toBe(true);
  });

  it.each(savedFiles)("loads %s at the current version", (file) => {
    const result = parseWorkflow(read(file));
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (result.ok) expect(result.workflow.version).toBe(WORKFLOW_VERSION);
  });

  it.each(savedFiles)("round-trips %s without loss (parse → serialise → parse)", (file) => {
    const first = parseWorkflow(read(file));
    if (!first.ok) throw new Error("fixture must load");
    const second = parseWorkflow(JSON.parse(serializeWorkflow(first.workflow)));
    expect(second).toEqual({ ok: true, workflow: first.workflow });
  });

  it.each([0, 1])("migrates each v%i file to exactly its saved next-version counterpart", (from) => {
    const files = savedFiles.filter((name) => name.startsWith(`v${from}/`));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const migrated = parseWorkflow(read(file));
      const expected = parseWorkflow(read(file.replace(`v${from}/`, `v${from + 1}/`)));
      expect(migrated.ok && migrated.migratedFrom).toBe(from);
      if (!migrated.ok || !expected.ok) throw new Error("both must load");
      expect(migrated.workflow).toEqual(expected.workflow);
    }
  });

  it("turns version 1's model packs into requirements of kind model-pack, hashes kept", () => {
    const result = parseWorkflow(read("v1/editor-extras.json"));
    if (!result.ok) throw new Error("must load");
    expect(result.workflow.requires).toEqual([{ kind: "model-pack", id: "tiny", hash: "sha256:00ff" }]);
    expect(result.workflow).not.toHaveProperty("packs");
  });

  it("keeps editor state it does not know (extra editor keys)", () => {
    const result = parseWorkflow(read("v2/editor-extras.json"));
    if (!result.ok) throw new Error("must load");
    expect(result.workflow.editor).toMatchObject({ snapToGrid: true, openPanels: ["queue", "history"] });
    expect(result.workflow.editor?.nodes.a).toEqual({
      position: { x: 10.5, y: -4 },
      size: { width: 200, height: 120 },
      collapsed: true,
      color: "#334",
    });
  });
});

describe("parseWorkflow on bad input", () => {
  it("rejects something that is not a workflow", () => {
    for (const input of [null, 42, "x", { format: "comfyui" }]) {
      const result = parseWorkflow(input);
      expect(result.ok ? null : result.problems[0].code).toBe("not_a_workflow");
    }
  });

  it("rejects a version from the future, naming it", () => {
    const result = parseWorkflow({ format: "infix-workflow", version: WORKFLOW_VERSION + 1, nodes: {} });
    expect(result.ok ? null : result.problems[0]).toMatchObject({
      code: "unsupported_version",
      found: String(WORKFLOW_VERSION + 1),
    });
  });

  it("reports schema errors with the node and input they are in", () => {
    const result = parseWorkflow({
      format: "infix-workflow",
      version: WORKFLOW_VERSION,
      nodes: { n7: { type: "X", inputs: { a: { node: "" } } } },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]).toMatchObject({ code: "invalid_workflow", nodeId: "n7", input: "a" });
  });

  it("reports a broken v1 pack list against the v1 schema", () => {
    const result = parseWorkflow({ format: "infix-workflow", version: 1, nodes: {}, packs: [{ hash: "sha256:00" }] });
    expect(result.ok ? null : result.problems[0].message).toMatch(/^packs\.0\.name: .*workflow version 1/);
  });

  it("reports a broken v0 file against the v0 schema", () => {
    const result = parseWorkflow({
      format: "infix-workflow",
      version: 0,
      nodes: [{ id: "1", type: "X", inputs: { a: ["only-one"] } }],
    });
    expect(result.ok ? null : result.problems[0].message).toMatch(/workflow version 0/);
  });
});

describe("AnyVersionWorkflowSchema", () => {
  it("takes the current version as the workflow schema does, and older ones migrated", () => {
    const current = AnyVersionWorkflowSchema.parse(read("v2/editor-extras.json"));
    expect(AnyVersionWorkflowSchema.parse(read("v1/editor-extras.json"))).toEqual(current);
    expect(AnyVersionWorkflowSchema.parse(read("v0/text-pipeline.json"))).toEqual(
      AnyVersionWorkflowSchema.parse(read("v2/text-pipeline.json")),
    );
  });

  it("reports an old document's issues where they are, naming its version", () => {
    const result = AnyVersionWorkflowSchema.safeParse({
      format: "infix-workflow",
      version: 1,
      nodes: {},
      packs: [{ hash: "sha256:00" }],
    });
    expect(result.success ? [] : result.error.issues).toEqual([
      expect.objectContaining({ path: ["packs", 0, "name"], message: expect.stringMatching(/workflow version 1\)$/) }),
    ]);
  });

  it("refuses a version from the future and what is not a workflow", () => {
    expect(AnyVersionWorkflowSchema.safeParse({ format: "infix-workflow", version: 99, nodes: {} }).success).toBe(
      false,
    );
    expect(AnyVersionWorkflowSchema.safeParse("x").success).toBe(false);
  });
});

describe("engine/workflow.schema.json", () => {
  it("is up to date with the zod schema (run `npx tsx tools/write-workflow-schema.ts`)", () => {
    const published = JSON.parse(
      readFileSync(fileURLToPath(new URL("../../workflow.schema.json", import.meta.url)), "utf8"),
    );
    expect(published).toEqual(workflowJsonSchema());
  });

  it("describes nodes, links and the version", () => {
    const schema = workflowJsonSchema() as { properties: Record<string, { const?: unknown }>; required: string[] };
    expect(schema.properties.version.const).toBe(WORKFLOW_VERSION);
    expect(schema.required).toEqual(expect.arrayContaining(["format", "version", "nodes"]));
  });
});

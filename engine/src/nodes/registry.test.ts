import { describe, expect, it } from "vitest";
import { z } from "zod";
import { InfixError } from "../graph/problem.ts";
import { noteUploadKind, testNodePackage, testOptionsKey, testResources } from "../testing/index.ts";
import type { NodeDefinition, NodePackage, ResourceKind, UploadKind } from "./definition.ts";
import { NodeRegistry } from "./registry.ts";

const node = (type: string, extra: Partial<NodeDefinition> = {}): NodeDefinition => ({
  schema: { type, version: 1, category: "x", title: type, description: "", inputs: [], outputs: [], isOutput: false },
  run: async () => ({}),
  ...extra,
});
const pkg = (name: string, nodes: NodeDefinition[]): NodePackage => ({ name, nodes, socketTypes: [] });

function thrownProblem(build: () => unknown) {
  try {
    build();
  } catch (error) {
    if (error instanceof InfixError) return error.problem;
    throw error;
  }
  throw new Error("expected an InfixError");
}

describe("NodeRegistry", () => {
  it("finds each node type of its packages", () => {
    const registry = new NodeRegistry([testNodePackage]);
    expect(registry.get("AddInts")?.schema.title).toBe("Add");
    expect(registry.get("Nope")).toBeUndefined();
    expect(registry.types()).toContain("SlowCount");
  });

  it("rejects a node type defined twice, naming both packages", () => {
    const problem = thrownProblem(
      () => new NodeRegistry([pkg("first", [node("Same")]), pkg("second", [node("Same")])]),
    );
    expect(problem).toMatchObject({ code: "duplicate_node_type", found: "Same" });
    expect(problem.message).toContain("first and second");
  });

  it("rejects a schema that breaks the node schema rules", () => {
    const bad = node("lowercase");
    expect(thrownProblem(() => new NodeRegistry([pkg("p", [bad])])).code).toBe("invalid_node_schema");
    const twice = node("Twice");
    twice.schema.inputs.push({ name: "a", type: "INT" }, { name: "a", type: "INT" });
    expect(thrownProblem(() => new NodeRegistry([pkg("p", [twice])])).message).toContain("input 'a' twice");
  });

  it("rejects dynamic options for an input that is not an ENUM", () => {
    const wrong = node("Wrong", { dynamicOptions: { missing: () => [] } });
    expect(thrownProblem(() => new NodeRegistry([pkg("p", [wrong])])).code).toBe("invalid_dynamic_options");
  });

  it("fills run-time ENUM options into the catalog from resources", () => {
    const registry = new NodeRegistry([testNodePackage]);
    const withOptions = registry.catalog(testResources([[testOptionsKey, ["a", "b"]]]));
    const pick = withOptions.nodes.find((schema) => schema.type === "PickOption");
    expect(pick?.inputs[0].widget).toMatchObject({ kind: "ENUM", options: ["a", "b"] });
    // The definition's own schema is left alone.
    expect(registry.get("PickOption")?.schema.inputs[0].widget).toMatchObject({ options: [] });
    expect(
      registry.catalog(testResources()).nodes.find((schema) => schema.type === "PickOption")?.inputs[0].widget,
    ).toMatchObject({ options: [] });
  });

  it("serves display labels beside run-time ENUM options, keeping the options as the values", () => {
    const plain = node("Labelled");
    const labelled = node("Labelled", {
      schema: {
        ...plain.schema,
        inputs: [{ name: "pick", type: "STRING", widget: { kind: "ENUM", default: "a", options: ["a"] } }],
      },
      dynamicOptions: { pick: () => ({ options: ["a", "b"], labels: { b: "b (not ready)" } }) },
    });
    const schema = new NodeRegistry([pkg("p", [labelled])]).catalog(testResources()).nodes[0];
    expect(schema.inputs[0].widget).toEqual({
      kind: "ENUM",
      default: "a",
      options: ["a", "b"],
      labels: { b: "b (not ready)" },
    });
  });

  it("serves the socket types of its packages, each once", () => {
    const registry = new NodeRegistry([
      testNodePackage,
      { name: "again", nodes: [], socketTypes: testNodePackage.socketTypes },
    ]);
    const names = registry.catalog(testResources()).socketTypes.map((socketType) => socketType.name);
    expect(names).toEqual([...new Set(names)]);
    expect(names).toContain("IMAGE");
  });

  it("collects the upload kinds of its packages in package order", () => {
    const mesh: UploadKind = { name: "mesh", suffix: ".mesh.obj", description: "meshes", check: () => undefined };
    const registry = new NodeRegistry([testNodePackage, { ...pkg("meshes", []), uploadKinds: [mesh] }]);
    expect(registry.uploadKinds()).toEqual([noteUploadKind, mesh]);
    expect(new NodeRegistry([pkg("none", [])]).uploadKinds()).toEqual([]);
  });

  it("rejects an upload suffix declared by two packages, naming both", () => {
    const again = { ...pkg("copycat", []), uploadKinds: [{ ...noteUploadKind, name: "other" }] };
    const problem = thrownProblem(() => new NodeRegistry([testNodePackage, again]));
    expect(problem).toMatchObject({ code: "duplicate_upload_kind", found: ".note.txt" });
    expect(problem.message).toContain("infix-testing and copycat");
  });

  it("rejects an upload suffix that a stored file name could never end with", () => {
    for (const suffix of ["note.txt", ".Note.txt", ".note txt", ".", ".a..b", ""]) {
      const odd = { ...pkg("odd", []), uploadKinds: [{ ...noteUploadKind, suffix }] };
      expect(thrownProblem(() => new NodeRegistry([odd]))).toMatchObject({
        code: "invalid_upload_kind",
        found: suffix,
      });
    }
  });
});

describe("NodeRegistry.packageInfo", () => {
  const fontKind: ResourceKind = {
    kind: "font",
    title: "font",
    help: "Put fonts in the fonts folder.",
    details: z.object({ glyphs: z.number().int().describe("How many glyphs it draws") }),
  };
  const fonts = (resources: NodePackage["describe"]): NodePackage => ({
    ...pkg("fonts", []),
    resourceKinds: [fontKind],
    describe: resources,
  });

  it("lists each package's kinds with their details' JSON Schema, its resources and notices", async () => {
    const registry = new NodeRegistry([
      testNodePackage,
      fonts(() => ({
        resources: [{ kind: "font", id: "serif", title: "Serif", bytes: 10, details: { glyphs: 96 } }],
        notices: [{ id: "fonts:few", level: "info", text: "Only one font." }],
      })),
    ]);
    const [info, ...others] = await registry.packageInfo(testResources());
    expect(others).toEqual([]); // the test package offers no resources: left out
    expect(info).toMatchObject({
      name: "fonts",
      kinds: [{ kind: "font", title: "font", help: "Put fonts in the fonts folder." }],
      resources: [{ kind: "font", id: "serif", title: "Serif", bytes: 10, details: { glyphs: 96 } }],
      notices: [{ id: "fonts:few", level: "info", text: "Only one font." }],
    });
    expect(info.kinds[0].detailsSchema).toMatchObject({
      type: "object",
      properties: { glyphs: { type: "integer", description: "How many glyphs it draws" } },
    });
    expect(info.resources[0].error).toBeUndefined();
  });

  it("marks a resource whose details its kind refuses, or whose kind is undeclared, keeping its own error first", async () => {
    const registry = new NodeRegistry([
      fonts(() => ({
        resources: [
          { kind: "font", id: "bad", title: "Bad", error: "file truncated", details: { glyphs: "many" } },
          { kind: "colour", id: "red", title: "Red" },
        ],
      })),
    ]);
    const [info] = await registry.packageInfo(testResources());
    expect(info.resources[0].error).toMatch(/^file truncated; its details are malformed at glyphs: /);
    expect(info.resources[1].error).toContain("kind 'colour', which it does not declare");
  });

  it("turns a failing describe into a warning notice instead of failing the request", async () => {
    const registry = new NodeRegistry([
      fonts(async () => {
        throw new Error("fonts folder unreadable");
      }),
    ]);
    const [info] = await registry.packageInfo(testResources());
    expect(info.resources).toEqual([]);
    expect(info.notices).toEqual([
      { id: "fonts:describe-failed", level: "warning", text: expect.stringContaining("fonts folder unreadable") },
    ]);
  });

  it("rejects a resource kind declared by two packages, naming both", () => {
    const problem = thrownProblem(() => new NodeRegistry([fonts(undefined), { ...fonts(undefined), name: "copycat" }]));
    expect(problem).toMatchObject({ code: "duplicate_resource_kind", found: "font" });
    expect(problem.message).toContain("fonts and copycat");
  });
});

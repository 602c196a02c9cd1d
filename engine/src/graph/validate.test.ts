import { describe, expect, it } from "vitest";
import { link, testCatalog, workflowOf } from "./fixtures/catalog.ts";
import type { Problem } from "./problem.ts";
import { validateWorkflow } from "./validate.ts";

const codes = (problems: Problem[]) => problems.map((problem) => problem.code);

describe("validateWorkflow", () => {
  it("accepts a sound workflow", () => {
    const workflow = workflowOf({
      img: { type: "MakeImage", inputs: { width: 16 } },
      blur: { type: "Blur", inputs: { image: link("img", "image"), radius: 2.5 } },
      save: { type: "SaveImage", inputs: { images: link("blur", "image") } },
    });
    expect(validateWorkflow(workflow, testCatalog)).toEqual([]);
  });

  it("reports unknown_node_type on a needed node", () => {
    const workflow = workflowOf({
      x: { type: "Teleport" },
      save: { type: "ShowValue", inputs: { value: link("x", "out") } },
    });
    expect(validateWorkflow(workflow, testCatalog)).toEqual([
      expect.objectContaining({ code: "unknown_node_type", nodeId: "x", found: "Teleport" }),
    ]);
  });

  it("suggests the known type an unknown one most likely meant, from a list or map catalog", () => {
    const workflow = workflowOf({
      x: { type: "makeimge" },
      save: { type: "SaveImage", inputs: { images: link("x", "image") } },
    });
    for (const catalog of [testCatalog, new Map(testCatalog.map((schema) => [schema.type, schema]))]) {
      const [problem] = validateWorkflow(workflow, catalog);
      expect(problem).toEqual(
        expect.objectContaining({ code: "unknown_node_type", nodeId: "x", found: "makeimge", suggestion: "MakeImage" }),
      );
      expect(problem.message).toContain("did you mean 'MakeImage'?");
    }
  });

  it("suggests nothing for an unknown type unlike any known one, or when the catalog is only a lookup", () => {
    const workflow = workflowOf({
      x: { type: "Teleport" },
      y: { type: "MakeImag" },
      save: { type: "ShowValue", inputs: { value: link("x", "out") } },
      save2: { type: "SaveImage", inputs: { images: link("y", "image") } },
    });
    const [teleport] = validateWorkflow(workflow, testCatalog);
    expect(teleport.suggestion).toBeUndefined();
    expect(teleport.message).toBe(
      `"Teleport" (#x) has type 'Teleport', which this server does not know; install its node package or delete it.`,
    );
    const byLookup = validateWorkflow(workflow, (type) => testCatalog.find((schema) => schema.type === type));
    expect(byLookup.map((problem) => problem.suggestion)).toEqual([undefined, undefined]);
  });

  it("reports missing_input naming the node, input and expected type", () => {
    const workflow = workflowOf({ save: { type: "SaveImage" } });
    expect(validateWorkflow(workflow, testCatalog)).toEqual([
      expect.objectContaining({ code: "missing_input", nodeId: "save", input: "images", expected: "IMAGE" }),
    ]);
  });

  it("lets an optional input stay unset", () => {
    const workflow = workflowOf({
      img: { type: "MakeImage" },
      blur: { type: "Blur", inputs: { image: link("img", "image") } },
      save: { type: "SaveImage", inputs: { images: link("blur", "image") } },
    });
    expect(validateWorkflow(workflow, testCatalog)).toEqual([]);
  });

  it("reports unknown_input for a value the schema has no input for", () => {
    const workflow = workflowOf({
      n: { type: "IntConstant", inputs: { value: 1, colour: "red" } },
      s: { type: "ShowValue", inputs: { value: link("n", "value") } },
    });
    expect(validateWorkflow(workflow, testCatalog)).toEqual([
      expect.objectContaining({ code: "unknown_input", nodeId: "n", input: "colour" }),
    ]);
  });

  it("reports link_to_missing_node and link_to_missing_output", () => {
    const workflow = workflowOf({
      img: { type: "MakeImage" },
      a: { type: "SaveImage", inputs: { images: link("ghost", "image") } },
      b: { type: "SaveImage", inputs: { images: link("img", "picture") } },
    });
    const problems = validateWorkflow(workflow, testCatalog);
    expect(problems).toEqual([
      expect.objectContaining({ code: "link_to_missing_node", nodeId: "a", input: "images", found: "ghost" }),
      expect.objectContaining({
        code: "link_to_missing_output",
        nodeId: "b",
        input: "images",
        expected: "image",
        found: "picture",
      }),
    ]);
  });

  it("reports type_mismatch with expected and found socket types", () => {
    const workflow = workflowOf({
      img: { type: "MakeImage" },
      enc: { type: "Encode", inputs: { image: link("img", "image") } },
      save: { type: "SaveImage", inputs: { images: link("enc", "latent") } },
    });
    const [problem] = validateWorkflow(workflow, testCatalog);
    expect(problem).toMatchObject({
      code: "type_mismatch",
      nodeId: "save",
      input: "images",
      expected: "IMAGE",
      found: "LATENT",
    });
    expect(problem.message).toContain("LATENT output 'latent' cannot feed IMAGE input 'images'");
  });

  it("reports wrong_value_type, out_of_range, not_an_option and empty_string on literals", () => {
    const workflow = workflowOf({
      s: { type: "Settings", inputs: { prompt: "   ", sampler: "euler", seed: -1, tiled: "yes" } },
      img: { type: "MakeImage", inputs: { width: 65, height: 2.5 } },
      show: { type: "ShowValue", inputs: { value: link("s", "prompt") } },
      save: { type: "SaveImage", inputs: { images: link("img", "image") } },
    });
    const problems = validateWorkflow(workflow, testCatalog);
    expect(problems.map((p) => [p.code, p.nodeId, p.input])).toEqual([
      ["empty_string", "s", "prompt"],
      ["not_an_option", "s", "sampler"],
      ["out_of_range", "s", "seed"],
      ["wrong_value_type", "s", "tiled"],
      ["out_of_range", "img", "width"],
      ["wrong_value_type", "img", "height"],
    ]);
    expect(problems[1]).toMatchObject({ expected: "ddim, pndm", found: "euler" });
    expect(problems[4]).toMatchObject({ expected: "between 1 and 64", found: "65" });
  });

  it("reports a typed value given to an input that only takes links", () => {
    const workflow = workflowOf({ save: { type: "SaveImage", inputs: { images: "dog.png" } } });
    expect(codes(validateWorkflow(workflow, testCatalog))).toEqual(["wrong_value_type"]);
  });

  it("checks widget defaults too (an empty FILE default means no file chosen)", () => {
    const catalog = testCatalog.map((schema) =>
      schema.type === "Settings"
        ? {
            ...schema,
            inputs: schema.inputs.map((input) =>
              input.name === "picture"
                ? {
                    ...input,
                    widget: { kind: "FILE" as const, default: "", folder: "input" as const, accept: [".png"] },
                  }
                : input,
            ),
          }
        : schema,
    );
    const workflow = workflowOf({
      s: { type: "Settings" },
      show: { type: "ShowValue", inputs: { value: link("s", "prompt") } },
    });
    expect(validateWorkflow(workflow, catalog)).toEqual([
      expect.objectContaining({ code: "empty_string", input: "picture" }),
    ]);
  });

  it("reports a cycle once per node in it, naming the whole cycle", () => {
    const workflow = workflowOf({
      a: { type: "AddInts", inputs: { a: link("c", "sum") } },
      b: { type: "AddInts", inputs: { a: link("a", "sum") } },
      c: { type: "AddInts", inputs: { a: link("b", "sum") } },
      show: { type: "ShowValue", inputs: { value: link("c", "sum") } },
    });
    const problems = validateWorkflow(workflow, testCatalog);
    expect(problems.map((p) => [p.code, p.nodeId, p.found])).toEqual([
      ["cycle", "a", "a,b,c"],
      ["cycle", "b", "a,b,c"],
      ["cycle", "c", "a,b,c"],
    ]);
    expect(problems[0].message).toContain("#a → #b → #c → #a");
  });

  it("reports a node linked to itself as a cycle", () => {
    const workflow = workflowOf({
      a: { type: "AddInts", inputs: { a: link("a", "sum") } },
      show: { type: "ShowValue", inputs: { value: link("a", "sum") } },
    });
    expect(codes(validateWorkflow(workflow, testCatalog))).toEqual(["cycle"]);
  });

  it("reports unknown_target and inactive_target", () => {
    const workflow = workflowOf({ n: { type: "IntConstant", mode: "muted" } });
    expect(validateWorkflow(workflow, testCatalog, { targets: ["nope", "n"] }).map((p) => [p.code, p.nodeId])).toEqual([
      ["unknown_target", "nope"],
      ["inactive_target", "n"],
    ]);
  });

  it("reports no_outputs when nothing would run", () => {
    const workflow = workflowOf({
      n: { type: "IntConstant" },
      show: { type: "ShowValue", mode: "muted", inputs: { value: link("n", "value") } },
    });
    expect(codes(validateWorkflow(workflow, testCatalog))).toEqual(["no_outputs"]);
  });

  it("ignores problems in nodes no target needs, unless asked for scope 'all'", () => {
    const workflow = workflowOf({
      n: { type: "IntConstant", inputs: { value: 5000 } },
      stray: { type: "SaveImage" },
      show: { type: "ShowValue", inputs: { value: 1 } },
    });
    expect(validateWorkflow(workflow, testCatalog, { targets: ["show"] })).toEqual([]);
    expect(codes(validateWorkflow(workflow, testCatalog, { scope: "all" }))).toEqual(["out_of_range", "missing_input"]);
  });

  it("reports a link from a muted node only when the consumer must run and needs it", () => {
    const workflow = workflowOf({
      img: { type: "MakeImage", mode: "muted" },
      mask: { type: "MakeImage", mode: "muted" },
      ok: { type: "MakeImage" },
      blur: { type: "Blur", inputs: { image: link("ok", "image"), mask: link("mask", "image") } },
      save: { type: "SaveImage", inputs: { images: link("blur", "image") } },
      unused: { type: "Encode", inputs: { image: link("img", "image") } },
    });
    // mask is optional and unused never runs: fine.
    expect(validateWorkflow(workflow, testCatalog)).toEqual([]);
    expect(validateWorkflow(workflow, testCatalog, { targets: ["save", "unused"] })).toEqual([
      expect.objectContaining({ code: "link_to_muted_node", nodeId: "unused", input: "image", found: "img" }),
    ]);
  });

  it("passes through a bypassed node that has an input of the consumer's type", () => {
    const workflow = workflowOf({
      img: { type: "MakeImage" },
      blur: { type: "Blur", mode: "bypassed", inputs: { image: link("img", "image") } },
      save: { type: "SaveImage", inputs: { images: link("blur", "image") } },
    });
    expect(validateWorkflow(workflow, testCatalog)).toEqual([]);
  });

  it("reports bypass_unmatched when a bypassed node has no input of the type it must pass on", () => {
    const workflow = workflowOf({
      img: { type: "MakeImage" },
      enc: { type: "Encode", mode: "bypassed", inputs: { image: link("img", "image") } },
      show: { type: "ShowValue", inputs: { value: link("enc", "latent") } },
    });
    expect(validateWorkflow(workflow, testCatalog)).toEqual([
      expect.objectContaining({ code: "bypass_unmatched", nodeId: "show", input: "value", expected: "LATENT" }),
    ]);
  });

  it("runs extra validators (node hooks) on nodes whose values passed, reporting invalid_value", () => {
    const workflow = workflowOf({
      img: { type: "MakeImage", inputs: { width: 12 } },
      save: { type: "SaveImage", inputs: { images: link("img", "image") } },
    });
    const problems = validateWorkflow(workflow, testCatalog, {
      extraValidators: [
        ({ nodeId, schema, values }) =>
          schema.type !== "MakeImage" || (values.width as number) % 8 === 0
            ? []
            : [{ code: "invalid_value", message: "width must be a multiple of 8", nodeId, input: "width" }],
      ],
    });
    expect(problems).toEqual([expect.objectContaining({ code: "invalid_value", nodeId: "img", input: "width" })]);
  });

  it("reports every problem at once", () => {
    const workflow = workflowOf({
      a: { type: "SaveImage" },
      b: { type: "Teleport" },
      c: { type: "ShowValue", inputs: { value: link("b", "x") } },
      d: { type: "ShowValue", inputs: { value: link("zz", "x") } },
    });
    expect(codes(validateWorkflow(workflow, testCatalog))).toEqual([
      "missing_input",
      "unknown_node_type",
      "link_to_missing_node",
    ]);
  });
});

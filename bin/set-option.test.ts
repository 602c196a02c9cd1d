import { describe, expect, it } from "vitest";
import type { NodeSchema, Workflow } from "@infix/engine";
import { applySetOverrides, parseSetOption } from "./set-option.ts";

const sampler: NodeSchema = {
  type: "Sampler",
  version: 1,
  category: "sampling",
  title: "Sampler",
  description: "",
  isOutput: false,
  outputs: [],
  inputs: [
    { name: "latent", type: "LATENT" },
    { name: "steps", type: "INT", widget: { kind: "INT", default: 25, min: 1 } },
    { name: "cfg", type: "FLOAT", widget: { kind: "FLOAT", default: 7.5 } },
    { name: "karras", type: "BOOLEAN", widget: { kind: "BOOLEAN", default: false } },
    { name: "scheduler", type: "STRING", widget: { kind: "ENUM", default: "pndm", options: ["pndm", "ddim"] } },
    { name: "image", type: "STRING", widget: { kind: "FILE", default: "", folder: "input", accept: [".png"] } },
  ],
};
const workflow = {
  format: "infix-workflow",
  version: 1,
  nodes: { "my.sampler": { type: "Sampler", mode: "active", inputs: { steps: 25 } } },
} as unknown as Workflow;
const schemaOf = (type: string) => (type === "Sampler" ? sampler : undefined);

describe("parseSetOption", () => {
  it("splits at the first = and the last dot before it", () => {
    expect(parseSetOption("my.sampler.steps=a=b")).toEqual({ nodeId: "my.sampler", input: "steps", value: "a=b" });
    expect(parseSetOption("sampler.prompt=")).toEqual({ nodeId: "sampler", input: "prompt", value: "" });
  });
  it.each(["steps=3", "sampler.steps", ".steps=3", "sampler.=3"])("refuses %j with an example", (text) => {
    expect(parseSetOption(text)).toMatchObject({
      code: "invalid_option",
      message: expect.stringContaining("node.input=value"),
    });
  });
});

describe("applySetOverrides", () => {
  it("types values by the widget and resolves file paths against the current folder, leaving the original alone", () => {
    const set = (input: string, value: string) => ({ nodeId: "my.sampler", input, value });
    const applied = applySetOverrides(
      workflow,
      [
        set("steps", "30"),
        set("cfg", "2.5"),
        set("karras", "yes"),
        set("scheduler", "ddim"),
        set("image", "pics/a.png"),
      ],
      schemaOf,
      "/home/ada",
    );
    expect(applied.ok && applied.workflow.nodes["my.sampler"].inputs).toEqual({
      steps: 30,
      cfg: 2.5,
      karras: true,
      scheduler: "ddim",
      image: "/home/ada/pics/a.png",
    });
    expect(workflow.nodes["my.sampler"].inputs).toEqual({ steps: 25 });
  });
  it("refuses a link-only input, a fraction for an INT and a word for a boolean, naming each", () => {
    const applied = applySetOverrides(
      workflow,
      [
        { nodeId: "my.sampler", input: "latent", value: "x" },
        { nodeId: "my.sampler", input: "steps", value: "2.5" },
        { nodeId: "my.sampler", input: "karras", value: "maybe" },
      ],
      schemaOf,
    );
    expect(!applied.ok && applied.problems.map((problem) => problem.message)).toEqual([
      `--set my.sampler.latent: "Sampler" (#my.sampler) takes its 'latent' (LATENT) from a link, not a typed value.`,
      `--set my.sampler.steps: "Sampler" (#my.sampler) expects a whole number for 'steps', not "2.5".`,
      `--set my.sampler.karras: "Sampler" (#my.sampler) expects true or false for 'karras', not "maybe".`,
    ]);
  });
});

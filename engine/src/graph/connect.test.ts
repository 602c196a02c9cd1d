import { describe, expect, it } from "vitest";
import { canConnect, socketTypesMatch } from "./connect.ts";
import type { NodeSchema } from "./node-schema.ts";

const sampler: NodeSchema = {
  type: "Sampler",
  version: 1,
  category: "sampling",
  title: "Sampler",
  description: "",
  inputs: [{ name: "steps", type: "INT", widget: { kind: "INT", default: 20, min: 1 } }],
  outputs: [
    { name: "latent", type: "LATENT" },
    { name: "steps_used", type: "INT" },
  ],
  isOutput: false,
};
const save: NodeSchema = {
  type: "SaveImage",
  version: 1,
  category: "image",
  title: "Save Image",
  description: "",
  inputs: [
    { name: "images", type: "IMAGE" },
    { name: "anything", type: "*" },
  ],
  outputs: [],
  isOutput: true,
};
const anySource: NodeSchema = {
  ...save,
  type: "Any",
  title: "Any",
  outputs: [{ name: "value", type: "*" }],
  isOutput: false,
};

describe("canConnect", () => {
  it("accepts an output into an input of the same type", () => {
    expect(canConnect(sampler, "steps_used", sampler, "steps")).toEqual({ ok: true });
  });

  it("rejects a type mismatch with a reason naming both types and the input", () => {
    expect(canConnect(sampler, "latent", save, "images")).toEqual({
      ok: false,
      reason: "LATENT output 'latent' cannot feed IMAGE input 'images'",
    });
  });

  it("lets '*' on either side match anything", () => {
    expect(canConnect(sampler, "latent", save, "anything").ok).toBe(true);
    expect(canConnect(anySource, "value", save, "images").ok).toBe(true);
  });

  it("names a missing output or input", () => {
    expect(canConnect(sampler, "nope", save, "images")).toEqual({ ok: false, reason: "Sampler has no output 'nope'" });
    expect(canConnect(sampler, "latent", save, "nope")).toEqual({
      ok: false,
      reason: "Save Image has no input 'nope'",
    });
  });

  it("socketTypesMatch is symmetric only through '*'", () => {
    expect(socketTypesMatch("IMAGE", "IMAGE")).toBe(true);
    expect(socketTypesMatch("IMAGE", "MASK")).toBe(false);
    expect(socketTypesMatch("*", "MASK")).toBe(true);
  });
});

import type { NodeCatalog, NodeSchema } from "@infix/graph";

/** A small fake catalog for editor unit tests: every widget kind and a few socket types. */
export const sampler: NodeSchema = {
  type: "Sampler",
  version: 1,
  category: "sampling",
  title: "Sampler",
  description: "Denoises latents.",
  inputs: [
    { name: "latents", type: "LATENT", description: "starting latents" },
    {
      name: "steps",
      type: "INT",
      widget: { kind: "INT", default: 20, min: 1, max: 150, step: 1 },
      description: "denoising steps",
    },
    { name: "cfg", type: "FLOAT", widget: { kind: "FLOAT", default: 7.5, min: 0, max: 30, step: 0.5 } },
    { name: "seed", type: "INT", widget: { kind: "SEED", default: 42 } },
    {
      name: "scheduler",
      type: "STRING",
      widget: { kind: "ENUM", default: "pndm", options: ["pndm", "ddim", "euler"] },
    },
  ],
  outputs: [{ name: "latents", type: "LATENT" }],
  isOutput: false,
};

export const emptyLatent: NodeSchema = {
  type: "EmptyLatent",
  version: 1,
  category: "latent",
  title: "Empty Latent",
  description: "Zeros.",
  inputs: [{ name: "width", type: "INT", widget: { kind: "INT", default: 512, min: 64, max: 2048, step: 8 } }],
  outputs: [{ name: "latents", type: "LATENT" }],
  isOutput: false,
};

export const saveImage: NodeSchema = {
  type: "SaveImage",
  version: 1,
  category: "image/io",
  title: "Save Image",
  description: "Writes PNGs.",
  inputs: [
    { name: "image", type: "IMAGE" },
    { name: "prefix", type: "STRING", widget: { kind: "STRING", default: "infix" } },
    { name: "notes", type: "STRING", widget: { kind: "STRING", default: "", multiline: true }, optional: true },
    { name: "embed", type: "BOOLEAN", widget: { kind: "BOOLEAN", default: true } },
  ],
  outputs: [],
  isOutput: true,
};

export const loadImage: NodeSchema = {
  type: "LoadImage",
  version: 1,
  category: "image/io",
  title: "Load Image",
  description: "Reads a picture.",
  inputs: [
    { name: "file", type: "STRING", widget: { kind: "FILE", default: "", folder: "input", accept: [".png", ".jpg"] } },
  ],
  outputs: [{ name: "image", type: "IMAGE" }],
  isOutput: false,
};

export const testCatalog: NodeCatalog = {
  nodes: [sampler, emptyLatent, saveImage, loadImage],
  socketTypes: [
    { name: "LATENT", color: "#ff9cf9", description: "latents" },
    { name: "IMAGE", color: "#64b5f6", description: "image" },
    { name: "INT", color: "#8bc34a", description: "integer" },
    { name: "FLOAT", color: "#aed581", description: "float" },
    { name: "STRING", color: "#ffd54f", description: "text" },
    { name: "BOOLEAN", color: "#90a4ae", description: "boolean" },
  ],
};

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { FileAccess, NodeSchema, Workflow } from "@infix/engine";
import { localFileAccess, missingInputFiles } from "./local-files.ts";

const root = mkdtempSync(join(tmpdir(), "infix-local-files-"));
const input = join(root, "data", "input");
const cwd = join(root, "here");
mkdirSync(join(input, "examples"), { recursive: true });
mkdirSync(cwd);
writeFileSync(join(input, "examples", "dog.png"), "x");
writeFileSync(join(cwd, "mine.png"), "x");
afterAll(() => rmSync(root, { recursive: true, force: true }));

const folderOnly: FileAccess = {
  resolveInput: (name) => {
    if (name.startsWith("/")) throw new Error("absolute paths are not allowed");
    return join(input, name);
  },
  readInput: async (name) => new TextEncoder().encode(`folder:${name}`),
  resolveOutput: (name) => join(root, "out", name),
  writeOutput: async () => ({ folder: "output", name: "x" }),
};

describe("localFileAccess", () => {
  it("reads the input folder first, then the current folder, then absolute paths", () => {
    const files = localFileAccess(folderOnly, input, cwd);
    expect(files.resolveInput("examples/dog.png")).toBe(join(input, "examples", "dog.png"));
    expect(files.resolveInput("mine.png")).toBe(join(cwd, "mine.png"));
    expect(files.resolveInput(join(cwd, "mine.png"))).toBe(join(cwd, "mine.png"));
    // Nothing there: the folder's own answer (and its containment rules).
    expect(files.resolveInput("gone.png")).toBe(join(input, "gone.png"));
    expect(() => files.resolveInput("/gone.png")).toThrow("absolute paths are not allowed");
  });

  it("reads the user's own files as they are and the input folder's through the folder's reader", async () => {
    const files = localFileAccess(folderOnly, input, cwd);
    const text = async (name: string) => new TextDecoder().decode(await files.readInput(name));
    expect(await text("mine.png")).toBe("x");
    expect(await text(join(cwd, "mine.png"))).toBe("x");
    expect(await text("examples/dog.png")).toBe("folder:examples/dog.png");
    expect(await text("gone.png")).toBe("folder:gone.png");
  });
});

describe("missingInputFiles", () => {
  const load: NodeSchema = {
    type: "LoadImage",
    version: 1,
    category: "image",
    title: "Load Image",
    description: "",
    isOutput: false,
    outputs: [],
    inputs: [
      { name: "image", type: "STRING", widget: { kind: "FILE", default: "", folder: "input", accept: [".png"] } },
    ],
  };
  const workflow = (nodes: Record<string, unknown>) =>
    ({ format: "infix-workflow", version: 1, nodes }) as unknown as Workflow;
  it("names the node, the input and both places looked in; muted nodes and present files pass", () => {
    const problems = missingInputFiles(
      workflow({
        a: { type: "LoadImage", mode: "active", inputs: { image: "cat.png" } },
        b: { type: "LoadImage", mode: "muted", inputs: { image: "cat.png" } },
        c: { type: "LoadImage", mode: "active", inputs: { image: "mine.png" } },
        d: { type: "LoadImage", mode: "active", inputs: { image: "/nowhere/cat.png" } },
      }),
      () => load,
      input,
      cwd,
    );
    expect(problems).toEqual([
      expect.objectContaining({
        code: "missing_file",
        nodeId: "a",
        input: "image",
        message: `"cat.png" is neither in the input folder (${join(input, "cat.png")}) nor in the current folder (${join(cwd, "cat.png")}); give an existing path, e.g. --set a.image=./picture.png`,
      }),
      expect.objectContaining({
        nodeId: "d",
        message: expect.stringMatching(/^there is no file \/nowhere\/cat\.png;/),
      }),
    ]);
  });
});

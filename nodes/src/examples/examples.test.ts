import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage, WorkflowSchema, type Workflow } from "@infix/engine";
import { Executor, NodeRegistry, OutputCache } from "@infix/engine/testing";
import { writeExamplePictures } from "../../../examples/draw-subjects.ts";
import { createNodeResources, nodePackage } from "../index.ts";
import { silentEvents } from "../testing/run-workflow.ts";
import { createTestContext } from "../testing/test-context.ts";

/**
 * Runs every example workflow of examples/ with the executor on the tiny pack, with its
 * pictures drawn into the input folder. Sizes and step counts are shrunk (same graph, same
 * node types) so the whole set runs in seconds on a shared CPU.
 */
const examplesDir = fileURLToPath(new URL("../../../examples/", import.meta.url));
const exampleFiles = readdirSync(examplesDir)
  .filter((name) => name.endsWith(".json"))
  .sort();

function shrink(workflow: Workflow): Workflow {
  for (const node of Object.values(workflow.nodes)) {
    if (node.type === "EmptyLatent") Object.assign(node.inputs, { width: 32, height: 32 });
    if (node.type === "Sampler") Object.assign(node.inputs, { steps: 2 });
    if (node.type === "DDIMInversion") Object.assign(node.inputs, { steps: 2 });
    if (node.type === "ResizeImage") Object.assign(node.inputs, { width: 32, height: 32 });
  }
  return workflow;
}

let executor: Executor;
const ctx = createTestContext();

beforeAll(async () => {
  await writeExamplePictures(join(ctx.root, "input", "examples"), 32);
  const resources = await createNodeResources({ modelsDir: join(ctx.root, "no-models") });
  executor = new Executor({
    registry: new NodeRegistry([nodePackage]),
    cache: new OutputCache({ budgetBytes: 256 * 1024 ** 2 }),
    resources,
    files: ctx.files,
    log: ctx.log,
  });
});

describe("example workflows", () => {
  it("are all here", () => {
    expect(exampleFiles).toEqual([
      "attention-maps.json",
      "controlnet-canny.json",
      "image-to-image.json",
      "multi-image-subject.json",
      "real-image-editing.json",
      "style-transfer.json",
      "subject-editing.json",
      "subject-interpolation.json",
      "two-controlnets.json",
      "zero-shot-generation.json",
    ]);
  });

  for (const file of exampleFiles) {
    it(`${file} validates and runs on the tiny pack, saving a picture`, async () => {
      const workflow = shrink(WorkflowSchema.parse(JSON.parse(readFileSync(join(examplesDir, file), "utf8"))));
      expect(workflow.name).toBeTruthy();
      expect(Object.keys(workflow.editor?.nodes ?? {}).sort()).toEqual(Object.keys(workflow.nodes).sort());
      expect(executor.validate(workflow)).toEqual([]);
      const result = await executor.execute({ workflow, signal: new AbortController().signal, events: silentEvents });
      expect(result.error).toBeUndefined();
      expect(result.status).toBe("succeeded");
      const saved = result.ui.save?.images ?? [];
      expect(saved.length).toBeGreaterThan(0);
      expect(saved[0]).toMatchObject({ folder: "output" });
    });
  }

  it("re-runs only the Sampler and what follows after a seed change", async () => {
    const workflow = shrink(
      WorkflowSchema.parse(JSON.parse(readFileSync(join(examplesDir, "zero-shot-generation.json"), "utf8"))),
    );
    await executor.execute({ workflow, signal: new AbortController().signal, events: silentEvents });
    workflow.nodes.sampler.inputs.seed = 4321;
    const result = await executor.execute({ workflow, signal: new AbortController().signal, events: silentEvents });
    expect(result.ran.sort()).toEqual(["decode", "sampler", "save"]);
  });

  it("controlnet-canny.json draws an edge map and its ControlNet changes the picture", async () => {
    const load = () =>
      shrink(WorkflowSchema.parse(JSON.parse(readFileSync(join(examplesDir, "controlnet-canny.json"), "utf8"))));
    const savedBytes = async (workflow: Workflow) => {
      const result = await executor.execute({ workflow, signal: new AbortController().signal, events: silentEvents });
      expect(result.status).toBe("succeeded");
      const edges = result.ui.structure_preview?.images?.[0];
      const saved = result.ui.save?.images?.[0];
      if (!edges || !saved) throw new Error("the example showed no edge map or saved no picture");
      const edgeMap = await decodeImage(readFileSync(join(ctx.root, edges.folder, edges.name)));
      expect(edgeMap.image.data.some((v) => v === 255)).toBe(true);
      // Pixels, not file bytes: the PNG also embeds the workflow, which differs.
      return (await decodeImage(readFileSync(join(ctx.root, saved.folder, saved.name)))).image.data;
    };
    const controlled = await savedBytes(load());
    const off = load();
    off.nodes.controlnet.inputs.strength = 0;
    const uncontrolled = await savedBytes(off);
    expect(controlled.some((v, i) => v !== uncontrolled[i])).toBe(true);
  });

  it("reports bad widget values before running, naming node and input", () => {
    const workflow = WorkflowSchema.parse(
      JSON.parse(readFileSync(join(examplesDir, "zero-shot-generation.json"), "utf8")),
    );
    workflow.nodes.latent.inputs.width = 500;
    workflow.nodes.sampler.inputs.scheduler = "warp-drive";
    workflow.nodes.subject.inputs.category = " ";
    const problems = executor.validate(workflow);
    const where = problems.map((problem) => `${problem.nodeId}:${problem.message}`).join("\n");
    expect(where).toMatch(/latent:.*width.*must be a multiple of 8 \(496 or 504\), got 500/);
    expect(where).toMatch(/sampler:.*warp-drive/);
    expect(problems.some((problem) => problem.nodeId === "subject" && problem.input === "category")).toBe(true);
  });
});

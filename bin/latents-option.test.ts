import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { encodeNpy, floatTensor, WorkflowSchema, type Workflow } from "@infix/engine";
import { applyLatentsOption, CLI_LATENTS_FOLDER } from "./latents-option.ts";

const launcher = fileURLToPath(new URL("./infix.mjs", import.meta.url));

function workflowWith(nodes: Record<string, unknown>): Workflow {
  return WorkflowSchema.parse({ format: "infix-workflow", version: 2, nodes });
}

/** Load Latent straight into Save Latent: what comes out is exactly what went in. */
const passThrough = () =>
  workflowWith({
    load: { type: "LoadLatent", inputs: { file: "" } },
    save: { type: "SaveLatent", inputs: { latent: { node: "load", output: "latent" }, filename_prefix: "copy" } },
  });

function scratch(): { dir: string; npy: string; bytes: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), "infix-latents-"));
  const bytes = encodeNpy(
    floatTensor(
      [1, 4, 2, 2],
      Float32Array.from({ length: 16 }, (_, i) => i / 8 - 1),
    ),
  );
  const npy = join(dir, "noise.npy");
  writeFileSync(npy, bytes);
  return { dir, npy, bytes };
}

describe("applyLatentsOption", () => {
  it("copies the file into input/ by content and points the Load Latent node at the copy", async () => {
    const { dir, npy, bytes } = scratch();
    const input = join(dir, "input");
    const original = passThrough();
    const applied = await applyLatentsOption(original, npy, input);
    if (!applied.ok) throw new Error(applied.problem.message);
    expect(applied.nodeId).toBe("load");
    expect(applied.inputName).toMatch(new RegExp(`^${CLI_LATENTS_FOLDER}/[0-9a-f]{12}-noise\\.npy$`));
    expect(applied.workflow.nodes.load.inputs.file).toBe(applied.inputName);
    expect(original.nodes.load.inputs.file).toBe("");
    expect(Buffer.from(readFileSync(join(input, applied.inputName))).equals(Buffer.from(bytes))).toBe(true);
  });

  it("refuses a workflow without a Load Latent node, or with two, naming them", async () => {
    const { dir, npy } = scratch();
    const none = await applyLatentsOption(workflowWith({ s: { type: "SaveLatent", inputs: {} } }), npy, dir);
    expect(none).toMatchObject({
      ok: false,
      problem: { code: "cli_latents", expected: "one Load Latent node", found: "none" },
    });
    const two = await applyLatentsOption(
      workflowWith({ a: { type: "LoadLatent", inputs: {} }, b: { type: "LoadLatent", inputs: {} } }),
      npy,
      dir,
    );
    expect(two).toMatchObject({ ok: false, problem: { found: "a, b" } });
    const muted = await applyLatentsOption(
      workflowWith({ a: { type: "LoadLatent", inputs: {} }, b: { type: "LoadLatent", inputs: {}, mode: "muted" } }),
      npy,
      dir,
    );
    expect(muted).toMatchObject({ ok: true, nodeId: "a" });
  });

  it("says which file it could not read", async () => {
    const { dir } = scratch();
    const missing = await applyLatentsOption(passThrough(), join(dir, "absent.npy"), dir);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.problem.message).toMatch(/cannot read .*absent\.npy/);
  });
});

describe("infix run --latents", () => {
  it("runs the workflow from the given file: Load Latent → Save Latent writes the same bytes", async () => {
    const { dir, npy, bytes } = scratch();
    const file = join(dir, "copy.json");
    writeFileSync(file, JSON.stringify(passThrough()));
    const output = join(dir, "out");
    mkdirSync(output);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [launcher, "run", file, "--latents", npy, "--data", join(dir, "data"), "--output", output],
      {
        cwd: dir,
        env: { ...process.env, INFIX_MODELS: join(dir, "no-models") },
        timeout: 90_000,
      },
    );
    // The real path of the file (in --output), not the editor's `output/…` name.
    const [saved] = readdirSync(output).filter((name) => name.endsWith(".npy"));
    expect(stdout).toContain(`(node save): ${join(output, saved)} [1,4,2,2] float32`);
    expect(Buffer.from(readFileSync(join(output, saved))).equals(Buffer.from(bytes))).toBe(true);
  }, 120_000);

  it("documents in run --help how to wire Load Latent to the Sampler's noise input", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [launcher, "run", "--help"], { timeout: 90_000 });
    expect(stdout).toContain("--latents <file.npy>");
    expect(stdout).toContain("Load Latent.latent → Sampler.noise");
  }, 120_000);

  it("exits 2 and says why when the workflow has no Load Latent node", async () => {
    const { dir, npy } = scratch();
    const file = join(dir, "none.json");
    writeFileSync(file, JSON.stringify(workflowWith({ pack: { type: "LoadModelPack", inputs: { pack: "tiny" } } })));
    const run = promisify(execFile)(
      process.execPath,
      [launcher, "run", file, "--latents", npy, "--data", join(dir, "data"), "--output", join(dir, "out")],
      {
        cwd: dir,
        env: { ...process.env, INFIX_MODELS: join(dir, "no-models") },
        timeout: 90_000,
      },
    );
    await expect(run).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--latents .*noise\.npy cannot be used:\n.*needs a Load Latent node/),
    });
  }, 120_000);
});

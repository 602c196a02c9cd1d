import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { cacheBudgetFrom, sessionOptionsFrom, withRuntimeOptions, type RuntimeCliOptions } from "./runtime-options.ts";

function parse(args: string[]): RuntimeCliOptions {
  const command = withRuntimeOptions(new Command("test").exitOverride().configureOutput({ writeErr: () => {} }));
  command.parse(args, { from: "user" });
  return command.opts<RuntimeCliOptions>();
}

describe("runtime options", () => {
  it("defaults to the CPU with full graph optimization and the built-in budgets", () => {
    const options = parse([]);
    expect(options).toMatchObject({ device: "cpu", graphOptimization: "all" });
    expect(sessionOptionsFrom(options, () => {})).toMatchObject({
      executionProvider: "cpu",
      graphOptimizationLevel: "all",
      intraOpThreads: undefined,
      memoryBudgetBytes: undefined,
    });
    expect(cacheBudgetFrom(options)).toBeUndefined();
  });

  it("turns device, threads and megabytes into session and cache settings", () => {
    const options = parse(["--device", "cuda", "--threads", "3", "--session-memory-mb", "512", "--cache-mb", "64"]);
    expect(sessionOptionsFrom(options, () => {})).toMatchObject({
      executionProvider: "cuda",
      intraOpThreads: 3,
      memoryBudgetBytes: 512 * 1024 * 1024,
    });
    expect(cacheBudgetFrom(options)).toBe(64 * 1024 * 1024);
  });

  it("refuses an unknown device or a thread count below one, saying what is allowed", () => {
    expect(() => parse(["--device", "tpu"])).toThrow(/--device is one of cpu, cuda/);
    expect(() => parse(["--threads", "0"])).toThrow(/whole number ≥ 1/);
  });
});

const launcher = fileURLToPath(new URL("./infix.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "infix-runtime-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("infix run --device cuda without a CUDA build of onnxruntime", () => {
  it("falls back to the CPU with one clear warning and still produces the picture", async () => {
    const workflow = join(dir, "decode.json");
    writeFileSync(
      workflow,
      JSON.stringify({
        format: "infix-workflow",
        version: 1,
        nodes: {
          pack: { type: "LoadModelPack", inputs: { pack: "tiny" } },
          latent: { type: "EmptyLatent", inputs: { pack: { node: "pack", output: "pack" }, width: 64, height: 64 } },
          decode: {
            type: "VAEDecode",
            inputs: { pack: { node: "pack", output: "pack" }, latent: { node: "latent", output: "latent" } },
          },
          save: {
            type: "SaveImage",
            inputs: { images: { node: "decode", output: "images" }, filename_prefix: "cuda" },
          },
        },
      }),
    );
    const out = join(dir, "out");
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [launcher, "run", workflow, "--device", "cuda", "--threads", "1", "--output", out, "--data", join(dir, "data")],
        {
          cwd: dir,
          stdio: ["ignore", "ignore", "pipe"],
          env: { ...process.env, INFIX_MODELS: join(dir, "no-models") },
        },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("exit", (code) => resolve({ code, stderr }));
    });
    expect(result.code).toBe(0);
    expect(result.stderr.match(/warning: CUDA was requested/g)).toHaveLength(1);
    expect(readdirSync(out).filter((name) => name.startsWith("cuda") && name.endsWith(".png"))).toHaveLength(1);
  });
});

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGpuCheck } from "../bench/gpu.ts";
import { tinyFixture } from "../bench/random-checkpoint.ts";

/**
 * The GPU check's code path on the CPU with a tiny random checkpoint, so tools/gpu-check.sh
 * cannot rot between runs on a GPU machine: same checkpoint writer, fp16 import, UNet timing
 * and 50-step-style generation through the executor, only smaller and on another provider.
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);
const providerDir = join(repoRoot, "node_modules/onnxruntime-node/bin/napi-v6/linux/x64");

beforeAll(() => {
  if (!existsSync(tinyFixture))
    throw new Error(`missing fixture ${tinyFixture}: the shared fixtures must sit beside the repo`);
});

describe("GPU check, dry run on the CPU", () => {
  const work = mkdtempSync(join(tmpdir(), "infix-gpu-test-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("imports a random tiny checkpoint at fp16, times the UNet and a whole PNDM generation, and saves the picture", async () => {
    const lines: string[] = [];
    const result = await runGpuCheck({
      device: "cpu",
      size: "tiny",
      precision: "fp16",
      steps: 3,
      unetRuns: 2,
      workDir: work,
      log: (line) => lines.push(line),
    });
    expect(result.device).toBe("cpu");
    expect(result.unetRunsMs).toHaveLength(2);
    expect(result.unetMedianMs).toBeGreaterThan(0);
    expect(result.samplerMs).toBeGreaterThan(0);
    expect(result.imageMs).toBeGreaterThanOrEqual(result.samplerMs);
    // One picture from the cold run, one from the warm run.
    expect(result.savedImages).toHaveLength(2);
    expect(Object.keys(result.phasesMs)).toEqual(["checkpoint", "import", "unet", "generation"]);
    const table = lines.join("\n");
    expect(table).toMatch(/UNet step, batch 2 \(CFG\)/);
    expect(table).toMatch(/vs A100 1\.1 s/);
  });

  it("fails loudly, instead of timing the CPU, when CUDA is asked for and its provider does not load", async () => {
    const cudaInstalled = existsSync(join(providerDir, "libonnxruntime_providers_cuda.so"));
    const check = runGpuCheck({
      device: "cuda",
      size: "tiny",
      precision: "fp16",
      steps: 1,
      unetRuns: 1,
      log: () => undefined,
    });
    // On a machine with the CUDA provider installed this is the real check, and it must pass.
    if (cudaInstalled) return expect((await check).device).toBe("cuda");
    await expect(check).rejects.toThrow(
      /CUDA execution provider did not load, so the check stops rather than time the CPU/,
    );
  });

  it("the script refuses a provider folder without the CUDA provider files and names them", async () => {
    const empty = mkdtempSync(join(tmpdir(), "infix-gpu-empty-"));
    try {
      const failed = await run("bash", ["tools/gpu-check.sh", "--install-only"], {
        cwd: repoRoot,
        env: { ...process.env, INFIX_ORT_CUDA_DIR: empty },
      }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      // Where the provider is already installed (a CUDA machine), the folder is never read.
      if (failed === undefined)
        return expect(
          existsSync(
            join(repoRoot, "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so"),
          ),
        ).toBe(true);
      expect(failed.code).toBe(2);
      expect(failed.stderr).toMatch(/libonnxruntime_providers_cuda\.so libonnxruntime_providers_shared\.so/);
      expect(failed.stderr).toMatch(/Microsoft\.ML\.OnnxRuntime\.Gpu\.Linux/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

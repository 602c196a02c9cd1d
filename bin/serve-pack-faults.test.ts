import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Job } from "@infix/protocol";
import { ensureTinyPack } from "@infix/nodes";
import { serve } from "./serve-command.ts";
import { studioApi } from "./studio-api.test-support.ts";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "infix-pack-faults-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The zero-shot example on the pack `pack`, with a long sampler so there is time to pull the pack away mid-run. */
function zeroShot(pack: string, steps: number): Record<string, unknown> {
  const workflow = JSON.parse(readFileSync(join(repoRoot, "examples", "zero-shot-generation.json"), "utf8")) as {
    nodes: Record<string, { inputs: Record<string, unknown> }>;
  };
  workflow.nodes.pack.inputs.pack = pack;
  workflow.nodes.sampler.inputs.steps = steps;
  return workflow;
}

describe("a model pack that disappears while a job runs on it (issue #14)", () => {
  it("fails that job with a node error naming the pack, and the next job on the pack put back succeeds", async () => {
    const models = join(dir, "models");
    const packDir = join(models, "copied");
    const tiny = await ensureTinyPack();
    cpSync(tiny, packDir, { recursive: true });
    const server = await serve(
      repoRoot,
      { port: 0, host: "127.0.0.1", data: join(dir, "data"), models, device: "cpu", graphOptimization: "all" },
      () => undefined,
    );
    try {
      const call = studioApi(server);
      const submit = async (workflow: unknown) => {
        const res = await call("POST", "/api/jobs", { workflow });
        expect(res.status, JSON.stringify(res.data)).toBe(201);
        return (res.data.job as { id: string }).id;
      };
      const job = async (id: string) => (await call("GET", `/api/jobs/${id}`)).data as unknown as Job;
      const settled = async (id: string) => {
        await expect
          .poll(async () => (await job(id)).status, { timeout: 120_000, interval: 20 })
          .toMatch(/^(succeeded|failed|cancelled)$/);
        return job(id);
      };

      const doomed = await submit(zeroShot("copied", 200));
      // Mid-sampler: the pack's graphs that run later (the VAE decoder) are not loaded yet.
      await expect
        .poll(async () => (await job(doomed)).nodes.sampler?.progress?.step ?? 0, { timeout: 120_000, interval: 10 })
        .toBeGreaterThan(1);
      rmSync(packDir, { recursive: true, force: true });
      const failed = await settled(doomed);
      expect(failed.status).toBe("failed");
      // The first node that needed a graph not loaded yet: the VAE decoder.
      expect(failed.error).toMatchObject({ nodeId: "decode", input: "pack", found: "copied" });
      expect(failed.error?.message).toMatch(/^Model pack "copied" could not run vae_decoder\.onnx: .*changed on disk/);
      // Names the pack, not the server's folders.
      expect(failed.error?.message).not.toContain(dir);

      // Put back (a re-copy: new files, new mtimes): the next job loads it afresh and succeeds.
      cpSync(tiny, packDir, { recursive: true });
      const next = await settled(await submit(zeroShot("copied", 2)));
      expect(next.error).toBeUndefined();
      expect(next.status).toBe("succeeded");
      expect(next.nodes.save.ui?.images).toHaveLength(1);
    } finally {
      await server.close();
    }
  }, 300_000);
});

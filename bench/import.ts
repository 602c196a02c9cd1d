import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { importDiffusersPack } from "../nodes/src/pack/import/import-pack.ts";
import { tinyFixture as fixture, writeRandomCheckpoint } from "./random-checkpoint.ts";

/**
 * `infix pack import` speed and memory: the tiny diffusers fixture (issue #9: ≤ 1 s), and a
 * generated full-size random BLIP-Diffusion checkpoint (released shapes, written by our own
 * safetensors writer) imported in a child process whose peak RSS is compared with the largest
 * component's weights (issue #9: ≤ 1.5×).
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

/** Runs both import benchmarks and prints their figures. */
export async function benchImport(options: { fullSize?: boolean } = {}): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "infix-bench-import-"));
  try {
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      const started = performance.now();
      await importDiffusersPack({
        source: fixture,
        out: join(work, `tiny-${run}`),
        controlnets: [{ folder: join(fixture, "controlnet-canny") }],
      });
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(
      `import: tiny diffusers fixture (+ControlNet) median ${times[2].toFixed(0)} ms, min ${times[0].toFixed(0)} ms`,
    );
    if (options.fullSize === false) return;

    const source = join(work, "blipdiffusion-random");
    const written = performance.now();
    const largest = await writeRandomCheckpoint(source, "full");
    console.log(
      `import: wrote a full-size random checkpoint in ${((performance.now() - written) / 1000).toFixed(1)} s (largest component ${gib(largest)})`,
    );
    // A child process, so its peak RSS is the import's alone.
    const script = `
      const { importDiffusersPack } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, "nodes/src/pack/import/import-pack.ts")).href)});
      const t = performance.now();
      await importDiffusersPack({ source: ${JSON.stringify(source)}, out: ${JSON.stringify(join(work, "full"))} });
      console.log(JSON.stringify({ ms: performance.now() - t, maxRssKiB: process.resourceUsage().maxRSS }));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: repoRoot,
        maxBuffer: 1 << 20,
      },
    );
    const { ms, maxRssKiB } = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { ms: number; maxRssKiB: number };
    const peak = maxRssKiB * 1024;
    console.log(
      `import: full-size checkpoint in ${(ms / 1000).toFixed(1)} s, peak RSS ${gib(peak)} = ${(peak / largest).toFixed(2)}× the largest component's weights (target ≤ 1.5×)`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (!existsSync(fixture)) throw new Error(`missing fixture ${fixture}`);
  await benchImport({ fullSize: !process.argv.includes("--tiny-only") });
}

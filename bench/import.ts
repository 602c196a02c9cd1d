import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { writeSafetensors } from "../engine/src/runtime/checkpoint/index.ts";
import { ShapeOnlyWeights } from "../nodes/src/pack/import/checkpoint-weights.ts";
import { ConfigReader } from "../nodes/src/pack/import/config-fields.ts";
import { importDiffusersPack } from "../nodes/src/pack/import/import-pack.ts";
import { buildImportedQformer, readQformerConfig } from "../nodes/src/pack/import/qformer.ts";
import { clipVitLText, releasedQformer, sd15Unet, sdVae } from "../nodes/src/pack/import/released-configs.ts";
import { buildImportedTextEncoder, readTextEncoderConfig } from "../nodes/src/pack/import/text-encoder.ts";
import { buildImportedUnet } from "../nodes/src/pack/import/unet.ts";
import { readUnetConfig } from "../nodes/src/pack/import/unet-config.ts";
import { buildImportedVaeDecoder, buildImportedVaeEncoder, readVaeConfig } from "../nodes/src/pack/import/vae.ts";

/**
 * `infix pack import` speed and memory: the tiny diffusers fixture (issue #9: ≤ 1 s), and a
 * generated full-size random BLIP-Diffusion checkpoint (released shapes, written by our own
 * safetensors writer) imported in a child process whose peak RSS is compared with the largest
 * component's weights (issue #9: ≤ 1.5×).
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const fixture = join(repoRoot, "..", "shared", "fixtures", "blip-diffusion-tiny");

const reader = (name: string, json: object) => new ConfigReader(name, json as Record<string, unknown>);

/** Parameter names and torch shapes of each released component, from our own builders. */
function releasedParameters(): Record<string, { prefix: string; shapes: Map<string, readonly number[]> }> {
  const text = new ShapeOnlyWeights();
  buildImportedTextEncoder(readTextEncoderConfig(reader("text_encoder", clipVitLText)), text);
  const qformer = new ShapeOnlyWeights();
  buildImportedQformer(readQformerConfig(reader("qformer", releasedQformer)), qformer);
  const unet = new ShapeOnlyWeights();
  buildImportedUnet(readUnetConfig(reader("unet", sd15Unet), "unet"), unet, { textLength: 77, selfAttnMaxTokens: 256 });
  const vae = new ShapeOnlyWeights();
  const vaeConfig = readVaeConfig(reader("vae", sdVae));
  buildImportedVaeEncoder(vaeConfig, vae);
  buildImportedVaeDecoder(vaeConfig, vae);
  return {
    text_encoder: { prefix: "text_model.", shapes: text.shapes },
    qformer: { prefix: "", shapes: qformer.shapes },
    unet: { prefix: "", shapes: unet.shapes },
    vae: { prefix: "", shapes: vae.shapes },
  };
}

/** Small pseudo-random float32 bytes (xorshift32), fast enough for gigabytes. */
function randomBytes(count: number, seed: number): Uint8Array {
  const out = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = ((state >>> 0) / 4294967296 - 0.5) * 0.04;
  }
  return new Uint8Array(out.buffer);
}

/** Writes a full-size BLIP-Diffusion diffusers folder of random weights; returns the largest component's bytes. */
async function writeFullSizeCheckpoint(dir: string): Promise<number> {
  const configs: Record<string, object> = {
    text_encoder: clipVitLText,
    qformer: releasedQformer,
    unet: sd15Unet,
    vae: sdVae,
  };
  let largest = 0;
  let seed = 1;
  for (const [component, { prefix, shapes }] of Object.entries(releasedParameters())) {
    mkdirSync(join(dir, component), { recursive: true });
    writeFileSync(join(dir, component, "config.json"), JSON.stringify(configs[component]));
    const tensors = [...shapes].map(([name, shape]) => ({
      name: prefix + name,
      dtype: "float32" as const,
      shape,
      bytes: () =>
        randomBytes(
          shape.reduce((a, b) => a * b, 1),
          seed++,
        ),
    }));
    const bytes = tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1) * 4, 0);
    largest = Math.max(largest, bytes);
    const file =
      component === "text_encoder" || component === "qformer"
        ? "model.safetensors"
        : "diffusion_pytorch_model.safetensors";
    await writeSafetensors(join(dir, component, file), tensors);
  }
  for (const folder of ["scheduler", "image_processor", "tokenizer", "qformer_tokenizer"]) {
    cpSync(join(fixture, folder), join(dir, folder), { recursive: true });
  }
  cpSync(join(fixture, "model_index.json"), join(dir, "model_index.json"));
  return largest;
}

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
    const largest = await writeFullSizeCheckpoint(source);
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

import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { createScheduler, floatTensor, TorchGenerator } from "@infix/engine";
import { imageBatchFromRgb } from "../nodes/src/image/image-batch.ts";
import { loadPack } from "../nodes/src/pack/loader.ts";
import { configFor, type TinyPackSize } from "../nodes/src/pack/tiny/config.ts";
import { ensureTinyPack } from "../nodes/src/pack/tiny/index.ts";
import type { Feeds, ModelPack } from "../nodes/src/pack/types.ts";
import { stackControlNet } from "../nodes/src/sampling/controlnet-residuals.ts";
import { denoise } from "../nodes/src/sampling/denoise.ts";
import type { ControlHint } from "../nodes/src/sockets.ts";

/**
 * What structure control costs per sampler step (CPU): guided sampling without a ControlNet,
 * with one over every step, with one on the first half, and with one whose window holds no
 * step. Printed per variant: CPU ms per step against the plain step (wall ms beside it), and
 * the CPU time inside the ControlNet (its calls, and ms per call as a ratio to the UNet call,
 * measured in the same runs). CPU time, not wall time, so a loaded machine skews it less.
 * Mean of `runs` round-robin samplings after a warm-up.
 */

interface Variant {
  readonly label: string;
  /** undefined: no CONTROL; otherwise the ControlNet's window. */
  readonly window?: readonly [number, number];
}

const VARIANTS: readonly Variant[] = [
  { label: "no ControlNet" },
  { label: "ControlNet, all steps", window: [0, 1] },
  { label: "ControlNet, first half", window: [0, 0.5] },
  { label: "ControlNet, window with no step", window: [0.96, 1] },
];

/** A striped condition picture of the generation size. */
function condition(size: number) {
  const data = Uint8Array.from({ length: size * size * 3 }, (_, i) => (Math.floor(i / 3 / 7) % 2 ? 255 : 0));
  return imageBatchFromRgb([{ width: size, height: size, data }], []);
}

/** CPU time of the process (all threads, onnxruntime's included) in ms: steadier than wall time on a shared machine. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** CPU time spent in each graph of a pack, and its call count, while `body` runs. */
async function timingGraphs(
  pack: ModelPack,
  body: () => Promise<void>,
): Promise<Map<string, { ms: number; calls: number }>> {
  const spent = new Map<string, { ms: number; calls: number }>();
  const original = pack.run;
  pack.run = async (graph, feeds: Feeds, signal) => {
    const started = cpuMs();
    try {
      return await original.call(pack, graph, feeds, signal);
    } finally {
      const entry = spent.get(graph) ?? { ms: 0, calls: 0 };
      entry.ms += cpuMs() - started;
      entry.calls++;
      spent.set(graph, entry);
    }
  };
  try {
    await body();
  } finally {
    pack.run = original;
  }
  return spent;
}

/**
 * Runs the benchmark and prints one line per variant and pack.
 * @example await benchControlnet({ sizes: ["tiny"], steps: 4 })
 */
export async function benchControlnet(
  options: { sizes?: readonly TinyPackSize[]; steps?: number; runs?: number } = {},
): Promise<void> {
  const steps = options.steps ?? 8;
  const runs = options.runs ?? 2;
  for (const size of options.sizes ?? (["tiny", "small"] as const)) {
    const pack = await loadPack(await ensureTinyPack({ size }), { id: size, embedded: true });
    const { manifest } = pack;
    const pixels = configFor(size).unet.defaultSize;
    const h = pixels / manifest.vae.scale_factor;
    const dims = [1, manifest.vae.latent_channels, h, h];
    const text = () =>
      floatTensor(
        [1, manifest.text_max_length, manifest.text_hidden_size],
        new TorchGenerator(5).randn([1, manifest.text_max_length, manifest.text_hidden_size]),
      );
    const [positive, negative] = [text(), text()];
    const picture = condition(pixels);
    const sample = async (control?: ControlHint) => {
      const scheduler = createScheduler("ddim", manifest.scheduler);
      scheduler.setTimesteps(steps);
      await denoise({
        pack,
        scheduler,
        latents: floatTensor(dims, new TorchGenerator(1).randn(dims)),
        timesteps: Array.from(scheduler.timesteps),
        positive,
        negative,
        guidanceScale: 7.5,
        control,
        signal: new AbortController().signal,
      });
    };
    const controls = VARIANTS.map((variant) =>
      variant.window
        ? stackControlNet({
            pack,
            name: "canny",
            condition: picture,
            strength: 1,
            start: variant.window[0],
            end: variant.window[1],
          })
        : undefined,
    );
    for (const control of controls) await sample(control);
    // Round robin over the variants, so load on the machine drifts over all of them alike.
    const totals = VARIANTS.map(() => ({
      ms: 0,
      wallMs: 0,
      unetMs: 0,
      unetCalls: 0,
      controlnetMs: 0,
      controlnetCalls: 0,
    }));
    for (let run = 0; run < runs; run++) {
      for (let v = 0; v < VARIANTS.length; v++) {
        let ms = 0;
        let wallMs = 0;
        const graphs = await timingGraphs(pack, async () => {
          const started = cpuMs();
          const wallStarted = performance.now();
          await sample(controls[v]);
          ms = cpuMs() - started;
          wallMs = performance.now() - wallStarted;
        });
        const total = totals[v];
        total.ms += ms;
        total.wallMs += wallMs;
        total.unetMs += graphs.get("unet")?.ms ?? 0;
        total.unetCalls += graphs.get("unet")?.calls ?? 0;
        total.controlnetMs += graphs.get("controlnet/canny")?.ms ?? 0;
        total.controlnetCalls += graphs.get("controlnet/canny")?.calls ?? 0;
      }
    }
    const plainStepMs = totals[0].ms / (runs * steps);
    VARIANTS.forEach((variant, v) => {
      const total = totals[v];
      const stepMs = total.ms / (runs * steps);
      const unetPerCall = total.unetMs / total.unetCalls;
      const perCall = total.controlnetCalls > 0 ? total.controlnetMs / total.controlnetCalls : 0;
      console.log(
        `  ${size.padEnd(5)} ${pixels}px ${variant.label.padEnd(32)} CPU ${stepMs.toFixed(1).padStart(7)} ms/step ` +
          `(${(stepMs / plainStepMs).toFixed(2)}× plain; wall ${(total.wallMs / (runs * steps)).toFixed(1)}) | ControlNet ran on ${total.controlnetCalls / runs}/${steps} steps, ` +
          `${(total.controlnetMs / runs).toFixed(0)} ms per sampling` +
          (total.controlnetCalls > 0
            ? `, ${perCall.toFixed(1)} ms per call = ${(perCall / unetPerCall).toFixed(2)}× the UNet call (${unetPerCall.toFixed(1)} ms)`
            : ""),
      );
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchControlnet();

import { beforeAll, describe, expect, it } from "vitest";
import { floatTensor } from "@infix/engine";
import { emptyLatentNode } from "../latent/empty-latent.ts";
import { vaeEncodeNode } from "../latent/vae-encode.ts";
import type { ModelPack } from "../pack/types.ts";
import { samplerNode } from "../sampling/sampler.ts";
import type { Conditioning, ImageBatch, LatentBatch } from "../sockets.ts";
import { textEncodeNode } from "../text/text-encode.ts";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { tinyPack } from "../testing/tiny-pack.ts";
import type { AttentionEdit } from "./attention-edit.ts";
import { attentionControllerNode } from "./attention-controller-node.ts";
import { ddimInversionNode } from "./ddim-inversion-node.ts";

/**
 * DDIM Inversion on the tiny pack: inverting a picture's latents and sampling them back with
 * the same prompt at guidance 1 (the edit's source row, LAVIS's DDIM) returns close to them.
 */

let pack: ModelPack;
const ctx = createTestContext();
const SIZE = 64;

beforeAll(async () => {
  pack = await tinyPack();
});

async function pictureLatents(): Promise<LatentBatch> {
  const pixels = new Float32Array(3 * SIZE * SIZE);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++)
        pixels[(c * SIZE + y) * SIZE + x] = 0.5 + 0.4 * Math.sin((x + 2 * y) / (6 + c)) * Math.cos(y / 9);
  const images: ImageBatch = { type: "IMAGE", pixels: floatTensor([1, 3, SIZE, SIZE], pixels), sourceHashes: [] };
  return (await runNode(vaeEncodeNode, { pack, images, mode: "mean" }, ctx)).latent as LatentBatch;
}

/**
 * The pack with its UNet replaced by a smooth ε(x) = 0.5·x + 0.1·sin(x) (the same for every
 * timestep and prompt), so the round trip's only error is DDIM's discretisation and any
 * wiring fault (timesteps of inversion and sampling out of step, wrong rows, the seed's noise
 * used instead of the inverted one) shows as an O(1) error. The tiny pack's random-weight UNet
 * is not smooth enough in x for inversion to be accurate (the bench states its figure).
 */
function smoothUnetPack(): ModelPack {
  const wrapped = Object.create(pack) as ModelPack;
  wrapped.run = async (graph, feeds, signal) => {
    if (graph !== "unet") return pack.run(graph, feeds, signal);
    const sample = feeds.sample as { dims: number[]; data: Float32Array };
    const out = sample.data.map((x) => 0.5 * x + 0.1 * Math.sin(x));
    return { out_sample: floatTensor(sample.dims, out) };
  };
  return wrapped;
}

async function roundTrip(testPack: ModelPack, steps: number) {
  const latent = await pictureLatents();
  const out = await runNode(
    attentionControllerNode,
    { pack: testPack, source_subject: "cat", target_subject: "dog", prompt: "on the beach", start: "inverted" },
    ctx,
  );
  const inversion = out.inversion as Conditioning;
  expect(inversion.prompts).toEqual(["a cat on the beach"]);
  const noise = (await runNode(ddimInversionNode, { pack: testPack, latent, conditioning: inversion, steps }, ctx))
    .noise as LatentBatch;
  const negative = (await runNode(textEncodeNode, { pack: testPack, text: "" }, ctx)).conditioning as Conditioning;
  const empty = (await runNode(emptyLatentNode, { pack: testPack, width: SIZE, height: SIZE, batch_size: 1 }, ctx))
    .latent as LatentBatch;
  const result = (
    await runNode(
      samplerNode,
      {
        pack: testPack,
        positive: out.source,
        negative,
        latent: empty,
        noise,
        steps,
        cfg: 1,
        seed: 3,
        attention_control: out.control as AttentionEdit,
      },
      ctx,
    )
  ).latent as LatentBatch;
  const input = latent.samples.data;
  const back = result.samples.data.subarray(0, input.length);
  let error = 0;
  let moved = 0;
  for (let i = 0; i < input.length; i++) {
    error = Math.max(error, Math.abs(back[i] - input[i]));
    moved = Math.max(moved, Math.abs(noise.samples.data[i] - input[i]));
  }
  return { error, moved };
}

describe("DDIM Inversion", () => {
  it("then sampling with the same prompt at guidance 1 (the edit's source row) returns the picture's latents", async () => {
    const smooth = smoothUnetPack();
    const coarse = await roundTrip(smooth, 10);
    const medium = await roundTrip(smooth, 50);
    const fine = await roundTrip(smooth, 250);
    console.info(
      `DDIM round trip, smooth ε: max |Δ| ${coarse.error.toExponential(2)} (10 steps), ${medium.error.toExponential(2)} (50), ${fine.error.toExponential(2)} (250)`,
    );
    expect(fine.moved).toBeGreaterThan(0.1); // the noise is far from the picture…
    expect(medium.error).toBeLessThan(0.02); // …sampling brings it back,
    expect(fine.error).toBeLessThan(medium.error / 3); // and more steps bring it closer (discretisation error only).
    expect(medium.error).toBeLessThan(coarse.error / 2);
  });

  it("refuses a conditioning of another size, naming the input", async () => {
    const latent = await pictureLatents();
    const bad: Conditioning = {
      type: "CONDITIONING",
      embedding: floatTensor([1, 10, 32]),
      packHash: pack.hash,
      prompts: [""],
      tokenIds: [],
    };
    const problem = await runNodeFailure(ddimInversionNode, { pack, latent, conditioning: bad, steps: 2 }, ctx);
    expect(problem).toMatchObject({ input: "conditioning" });
  });
});

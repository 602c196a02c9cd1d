import { expect, it } from "vitest";
import { compareWithReferenceImage, maxAbsDiff, stepName } from "./reference-compare.ts";
import type { DiffusersCase } from "./reference-fixtures.ts";
import type { DiffusersCaseRun } from "./reference-pipeline.ts";

/**
 * The checks every recorded diffusers case makes of its run through Infix's nodes (issues #9
 * and #10's bars), as tests to declare inside the case's `describe`: `run` gives the run its
 * `beforeAll` made.
 */

/** Latents within 1e-4 of diffusers' at every UNet call (PNDM with skip_prk_steps: steps + 1 calls) and at the end. */
export function itFollowsDiffusersLatents(reference: DiffusersCase, run: () => DiffusersCaseRun): void {
  const { info, tensors } = reference;
  it("follows diffusers' latents at every UNet call within 1e-4", () => {
    const { unetSamples, decoded } = run();
    expect(unetSamples.length).toBe(info.steps + 1);
    let worst = 0;
    unetSamples.forEach((sample, step) => {
      const name = `${stepName(step)}.unet_in`;
      worst = Math.max(worst, maxAbsDiff(sample, tensors.float(name), name));
    });
    // The scheduler's output after the last call (decode_input is that divided by scaling_factor).
    const last = `${stepName(info.steps)}.latents`;
    worst = Math.max(worst, maxAbsDiff(decoded.latents.data, tensors.float(last), "final latents"));
    console.log(
      `${info.name}: latents, worst over ${info.steps + 1} UNet calls and the final latents: ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThanOrEqual(1e-4);
  });
}

/** The float picture within 1e-5 of diffusers', and the 8-bit one equal but for one-level flips at k + 0.5 (±1e-3). */
export function itDrawsDiffusersImage(reference: DiffusersCase, run: () => DiffusersCaseRun): void {
  const { info, tensors } = reference;
  it("draws diffusers' float image within 1e-5, and its 8-bit pixels up to rounding-boundary flips", async () => {
    const { decoded, png } = run();
    const image = await compareWithReferenceImage(decoded.pixels, png, {
      image: tensors.float("image"), // [1, H, W, 3]
      png: reference.png(),
    });
    console.log(
      `${info.name}: image ${image.floatError.toExponential(2)}, 8-bit flips ${image.flips} (farthest from k+0.5: ${image.farthestFromBoundary.toExponential(2)})`,
    );
    expect(image.pngSize).toEqual([info.width, info.height]);
    expect(image.floatError).toBeLessThanOrEqual(1e-5);
    expect(image.largestStep).toBeLessThanOrEqual(1);
    expect(image.farthestFromBoundary).toBeLessThanOrEqual(1e-3);
  });
}

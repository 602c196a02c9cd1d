import type { FloatTensor, PreviewImage } from "@infix/engine";

/**
 * A cheap latent → RGB picture for the Sampler's live preview: a fixed linear map of the
 * 4 latent channels to RGB instead of a VAE decode. Factors are the approximation for
 * Stable Diffusion 1.x published by Keturn (discuss.huggingface.co, "decoding latents to
 * RGB without upscaling", 2022) and used by ComfyUI's latent previewer.
 */
export const SD15_LATENT_RGB_FACTORS: readonly (readonly [number, number, number])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.0309, -0.1478],
];

/**
 * Projects batch item `index` of `latents` [B,C,h,w] to an h×w RGB picture: the factors
 * give roughly [-1,1], mapped to bytes by (v+1)/2. Channels beyond the fourth are ignored;
 * `out` is reused when given (the Sampler previews every step).
 */
export function latentToPreview(latents: FloatTensor, index = 0, out?: Uint8Array): PreviewImage {
  const [, channels, height, width] = latents.dims;
  const plane = height * width;
  const rgb = out && out.length === plane * 3 ? out : new Uint8Array(plane * 3);
  const base = index * channels * plane;
  const used = Math.min(channels, SD15_LATENT_RGB_FACTORS.length);
  for (let p = 0; p < plane; p++) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let c = 0; c < used; c++) {
      const v = latents.data[base + c * plane + p];
      const f = SD15_LATENT_RGB_FACTORS[c];
      r += v * f[0];
      g += v * f[1];
      b += v * f[2];
    }
    rgb[p * 3] = toByte(r);
    rgb[p * 3 + 1] = toByte(g);
    rgb[p * 3 + 2] = toByte(b);
  }
  return { width, height, rgb };
}

function toByte(v: number): number {
  const unit = (v + 1) / 2;
  return Math.round(Math.min(1, Math.max(0, unit)) * 255);
}

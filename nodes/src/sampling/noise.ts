import { floatTensor, TorchGenerator, type FloatTensor } from "@infix/engine";

/**
 * Starting noise exactly as diffusers draws it on the CPU: `torch.manual_seed(seed)` then
 * one `randn` of the whole latent shape (`randn_tensor` with a single generator).
 */
export function seededNormal(seed: number, dims: readonly number[]): FloatTensor {
  return floatTensor(dims, new TorchGenerator(seed).randn(dims));
}

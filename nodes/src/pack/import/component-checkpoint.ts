/**
 * Opens the weights of one diffusers/transformers component folder (`unet/`, `qformer/`, …):
 * safetensors, PyTorch `.bin` archives or sharded checkpoints (`*.index.json`), chosen by the
 * engine's `chooseWeightFile` (safetensors first, never an fp16 variant).
 */
export { openComponentCheckpoint } from "@infix/engine/runtime";

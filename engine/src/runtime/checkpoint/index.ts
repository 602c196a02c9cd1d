export * from "./types.ts";
export { bfloat16ArrayToFloat32, dtypeByteSize, toFloat32 } from "./dtype-conversion.ts";
export { maxSafetensorsHeaderBytes, openSafetensors, parseSafetensorsHeader } from "./safetensors.ts";
export { encodeSafetensorsHeader, writeSafetensors } from "./safetensors-writer.ts";
export type { SafetensorsTensorSpec } from "./safetensors-writer.ts";
export { openTorchBin } from "./torch-bin.ts";
export { openCheckpoint, openShardedCheckpoint } from "./sharded.ts";
export { chooseWeightFile, openComponentCheckpoint } from "./weight-files.ts";

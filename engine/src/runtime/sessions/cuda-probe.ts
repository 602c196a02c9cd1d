import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * Whether this onnxruntime-node install carries the CUDA execution provider library.
 * Asking onnxruntime itself (creating a CUDA session) makes its native logger print a red
 * "Failed to load library …providers_shared.so" on stderr before the error we catch, so the
 * pool looks for the file first: onnxruntime-node's install script puts it beside the
 * binding (`bin/napi-v6/<platform>/<arch>/`, see its `script/install-metadata.js`).
 */
export function cudaProviderInstalled(): boolean {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
  } catch {
    return false;
  }
  const folder = join(packageDir, "bin", "napi-v6", process.platform, process.arch);
  const library = process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
  return existsSync(join(folder, library));
}

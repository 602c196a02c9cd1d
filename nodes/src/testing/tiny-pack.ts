import { loadPack } from "../pack/loader.ts";
import { ensureTinyPack } from "../pack/tiny/index.ts";
import type { ModelPack } from "../pack/types.ts";

let tiny: Promise<ModelPack> | undefined;

/** The embedded tiny pack, loaded once per test worker (built on first use, then cached on disk). */
export function tinyPack(): Promise<ModelPack> {
  tiny ??= ensureTinyPack().then((dir) => loadPack(dir, { id: "tiny", embedded: true }));
  return tiny;
}

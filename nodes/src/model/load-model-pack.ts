import type { NodeDefinition } from "@infix/engine";
import { inputError, stringInput } from "../inputs.ts";
import { PACKS, TINY_PACK_ID, UnknownPackError } from "../pack/registry.ts";
import { knownPackChoices } from "./pack-options.ts";

/** Load Model Pack: a pack handle from the registry (sessions load lazily on first use). */
export const loadModelPackNode: NodeDefinition = {
  schema: {
    type: "LoadModelPack",
    version: 1,
    category: "model",
    title: "Load Model Pack",
    description:
      "Picks an installed BLIP-Diffusion model pack; 'tiny' is the embedded test pack (fast, but its pictures are meaningless).",
    inputs: [
      { name: "pack", type: "STRING", widget: { kind: "ENUM", default: TINY_PACK_ID, options: [TINY_PACK_ID] } },
    ],
    outputs: [{ name: "pack", type: "MODEL_PACK" }],
    isOutput: false,
  },
  dynamicOptions: {
    pack: (resources) => (resources.has(PACKS) ? knownPackChoices(resources.get(PACKS)) : [TINY_PACK_ID]),
  },
  // The pack's content hash, so replacing a pack's files re-runs everything downstream.
  async cacheKeyExtra(inputs, ctx) {
    if (!ctx.resources.has(PACKS)) return "no-registry";
    try {
      const registry = ctx.resources.get(PACKS);
      // A diffusers folder is imported by run(), where the editor sees its progress, not here.
      if (await registry.needsImport(String(inputs.pack))) return `not-imported:${String(inputs.pack)}`;
      return (await registry.get(String(inputs.pack))).hash;
    } catch {
      return "unavailable";
    }
  },
  async run(inputs, ctx) {
    const id = stringInput(inputs, "pack", { nonEmpty: true });
    if (!ctx.resources.has(PACKS))
      throw inputError("pack", "No model packs are available in this process (the PACKS resource is missing).");
    try {
      // A diffusers folder not imported yet is imported now: one progress step per component.
      const pack = await ctx.resources.get(PACKS).get(id, {
        onImportProgress: (event) => {
          if (event.state === "started") ctx.log.info(`importing ${id}: ${event.component}`);
          ctx.progress(event.index + (event.state === "finished" ? 1 : 0), event.total);
        },
      });
      return { pack };
    } catch (error) {
      if (error instanceof UnknownPackError) throw inputError("pack", error.message, error.known.join(" | "), id);
      throw inputError(
        "pack",
        `Model pack "${id}" cannot be loaded: ${(error as Error).message}`,
        "a valid model pack",
        id,
      );
    }
  },
};

import type { OfferedResource, PackageState, ResourceKind, Resources } from "@infix/engine";
import { z } from "zod";
import { PACKS, type PackListing } from "./registry.ts";

/**
 * The BLIP-Diffusion package's side of the engine's generic "node package info": its one
 * resource kind, model packs, what the installed ones are (GET /api/packages, the editor's
 * missing-pack notice, `infix serve`'s banner) and the notice that only the tiny pack is there.
 */

/** The kind workflows name model packs by in `requires` (version-1 workflows' `packs` migrate to it). */
export const MODEL_PACK_KIND = "model-pack";

/** Where to read how to install real weights: said when a pack is missing and while only the tiny pack is there. */
export const INSTALL_HELP =
  "Pictures are meaningless noise with the built-in tiny test pack: run `infix pack pull Salesforce/blipdiffusion` to install the real model (README, “Use the real model”).";

/** The facts about a pack that only this package has words for (the editor shows them from the schema). */
export const ModelPackDetailsSchema = z.object({
  embedded: z.boolean().describe("Generated tiny pack built into Infix (meaningless pictures)"),
  controlnets: z.array(z.string()).describe("ControlNets the pack carries, by name"),
  attentionControl: z.boolean().describe("Its UNet exports attention maps (prompt-to-prompt editing)"),
  source: z.string().optional().describe("Where its weights came from"),
  needsImport: z
    .boolean()
    .optional()
    .describe("A diffusers folder the first run that uses it imports (minutes for the released model)"),
});

export const modelPackKind: ResourceKind = {
  kind: MODEL_PACK_KIND,
  title: "model pack",
  help: INSTALL_HELP,
  details: ModelPackDetailsSchema,
};

/** One installed pack as a resource of the `model-pack` kind. */
export function packResource(pack: PackListing): OfferedResource {
  const details: z.infer<typeof ModelPackDetailsSchema> = {
    embedded: pack.embedded,
    controlnets: pack.controlnets,
    attentionControl: pack.attentionControl,
    ...(pack.source !== undefined && { source: pack.source }),
    ...(pack.needsImport !== undefined && { needsImport: pack.needsImport }),
  };
  return {
    kind: MODEL_PACK_KIND,
    id: pack.id,
    title: pack.name,
    bytes: pack.bytes,
    ...(pack.embedded && { description: "embedded tiny pack: real code paths, meaningless pictures" }),
    ...(pack.error !== undefined && { error: pack.error }),
    details,
  };
}

/**
 * The installed packs and, when every one is the embedded tiny pack, the notice saying so (the
 * editor's banner). No pack registry in `resources`: nothing offered, nothing said.
 */
export async function describeModelPacks(resources: Resources): Promise<PackageState> {
  if (!resources.has(PACKS)) return { resources: [] };
  const packs = await resources.get(PACKS).list();
  const onlyTiny = packs.every((pack) => pack.embedded);
  return {
    resources: packs.map(packResource),
    notices: onlyTiny ? [{ id: "blip-diffusion:tiny-pack-only", level: "warning", text: INSTALL_HELP }] : [],
  };
}

import { describe, expect, it } from "vitest";
import { NodeRegistry } from "@infix/engine/testing";
import { nodePackage } from "../index.ts";
import { createTestContext } from "../testing/test-context.ts";
import { INSTALL_HELP, MODEL_PACK_KIND } from "./package-info.ts";
import { PACKS, type PackListing } from "./registry.ts";

const tiny: PackListing = {
  name: "BLIP-Diffusion (tiny)",
  id: "tiny",
  bytes: 1234,
  embedded: true,
  controlnets: ["canny"],
  attentionControl: true,
};
const real: PackListing = {
  name: "blipdiffusion",
  id: "blipdiffusion",
  bytes: 0,
  embedded: false,
  controlnets: [],
  attentionControl: true,
  source: "diffusers folder /m/blipdiffusion, not imported yet",
  needsImport: true,
};

/** The package's info as GET /api/packages serves it, with a registry that lists `packs`. */
async function infoWith(packs: PackListing[]) {
  const resources = createTestContext(new Map<string, unknown>([[PACKS.id, { list: async () => packs }]])).resources;
  const infos = await new NodeRegistry([nodePackage]).packageInfo(resources);
  expect(infos.map((info) => info.name)).toEqual(["blip-diffusion"]);
  return infos[0];
}

describe("the BLIP-Diffusion package's info", () => {
  it("lists its packs as model-pack resources whose details pass the published schema", async () => {
    const info = await infoWith([tiny, real]);
    expect(info.kinds).toEqual([
      expect.objectContaining({ kind: MODEL_PACK_KIND, title: "model pack", help: INSTALL_HELP }),
    ]);
    expect(info.kinds[0].detailsSchema).toMatchObject({ properties: { controlnets: { type: "array" } } });
    expect(info.resources).toEqual([
      {
        kind: MODEL_PACK_KIND,
        id: "tiny",
        title: "BLIP-Diffusion (tiny)",
        bytes: 1234,
        description: "embedded tiny pack: real code paths, meaningless pictures",
        details: { embedded: true, controlnets: ["canny"], attentionControl: true },
      },
      {
        kind: MODEL_PACK_KIND,
        id: "blipdiffusion",
        title: "blipdiffusion",
        bytes: 0,
        details: { embedded: false, controlnets: [], attentionControl: true, source: real.source, needsImport: true },
      },
    ]);
  });

  it("says how to install real weights while the tiny pack is the only one, and not otherwise", async () => {
    expect((await infoWith([tiny])).notices).toEqual([
      { id: "blip-diffusion:tiny-pack-only", level: "warning", text: INSTALL_HELP },
    ]);
    expect((await infoWith([tiny, real])).notices).toEqual([]);
  });

  it("carries a pack's load error", async () => {
    const broken = { ...real, needsImport: undefined, source: undefined, error: "manifest.json is not JSON" };
    const [resource] = (await infoWith([broken])).resources;
    expect(resource.error).toBe("manifest.json is not JSON");
  });
});

import { existsSync, readFileSync } from "node:fs";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { importDiffusersPack } from "./import-pack.ts";

const fixture = fileURLToPath(new URL("../../../../../shared/fixtures/blip-diffusion-tiny", import.meta.url));
let work: string | undefined;
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function filesUnder(folder: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? filesUnder(path.join(folder, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
    ),
  );
  return nested.flat().sort();
}

/** The fixture with one weight format removed, under `<work>/<format>/blip-diffusion-tiny`. */
async function fixtureWith(format: "safetensors" | "bin"): Promise<string> {
  const folder = path.join(work!, format, "blip-diffusion-tiny");
  await cp(fixture, folder, {
    recursive: true,
    filter: (source) => !source.endsWith(format === "bin" ? ".safetensors" : ".bin"),
  });
  return folder;
}

describe("importing the fixture from either weight format", () => {
  it("writes byte-identical packs from .safetensors and from PyTorch .bin", async () => {
    if (!existsSync(fixture))
      throw new Error(`missing fixture ${fixture}: the shared fixtures must sit beside the repository`);
    work = await mkdtemp(path.join(tmpdir(), "infix-formats-"));
    const packs: string[] = [];
    for (const format of ["safetensors", "bin"] as const) {
      const source = await fixtureWith(format);
      const out = path.join(work, format, "pack");
      await importDiffusersPack({ source, out, controlnets: [{ folder: path.join(source, "controlnet-canny") }] });
      packs.push(out);
    }
    const files = await filesUnder(packs[0]);
    expect(files).toContain("unet.onnx");
    expect(await filesUnder(packs[1])).toEqual(files);
    for (const file of files) {
      const same = readFileSync(path.join(packs[0], file)).equals(readFileSync(path.join(packs[1], file)));
      expect(same, file).toBe(true);
    }
  });
});

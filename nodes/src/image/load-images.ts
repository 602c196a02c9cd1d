import { readdir, readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { NodeDefinition, NodeInputs } from "@infix/engine";
import { inputError, stringInput } from "../inputs.ts";
import { contentHash } from "./file-hash.ts";
import { imageBatchFromRgb } from "./image-batch.ts";
import { IMAGE_EXTENSIONS, readInputImage } from "./load-image.ts";

/** The picture files of a folder of the input folder, sorted by name so the list order is stable. */
async function listPictures(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.includes(extname(entry.name).toLowerCase()))
    .map((entry) => entry.name)
    .sort();
}

function folderInput(inputs: NodeInputs): string {
  return stringInput(inputs, "folder", { nonEmpty: true }).replace(/\/+$/, "");
}

/**
 * Load Images: every picture in a folder under input/ as a list of IMAGEs (each [1,3,H,W],
 * sizes may differ). Downstream nodes run once per picture, or take the whole list where
 * an input accepts lists (Q-Former Encode averages them into one subject).
 */
export const loadImagesNode: NodeDefinition = {
  schema: {
    type: "LoadImages",
    version: 1,
    category: "image/io",
    title: "Load Images",
    description: "Loads every PNG, JPEG or WebP picture in a folder of the input folder, in name order, as a list.",
    inputs: [{ name: "folder", type: "STRING", widget: { kind: "FILE", default: "", folder: "input", accept: IMAGE_EXTENSIONS, directory: true } }],
    outputs: [{ name: "images", type: "IMAGE", list: true }],
    isOutput: false,
  },
  async cacheKeyExtra(inputs, ctx) {
    // The folder's listing and every file's content: adding, removing or editing a picture re-runs the node.
    const dir = ctx.files.resolveInput(String(inputs.folder ?? ""));
    try {
      const names = await listPictures(dir);
      const hashes = await Promise.all(names.map(async (name) => `${name}=${contentHash(await readFile(`${dir}/${name}`))}`));
      return hashes.join(";");
    } catch {
      return `missing:${dir}`;
    }
  },
  async run(inputs, ctx) {
    const folder = folderInput(inputs);
    let names: string[];
    try {
      names = await listPictures(ctx.files.resolveInput(folder));
    } catch (error) {
      throw inputError("folder", `Cannot list "${folder}" in the input folder (${(error as Error).message}); pick a folder that exists.`, "a folder in input/", folder);
    }
    if (names.length === 0) {
      throw inputError("folder", `"${folder}" holds no PNG, JPEG or WebP pictures; add some or pick another folder.`, "at least one picture", "none");
    }
    const images = [];
    for (const name of names) {
      const { image, hash } = await readInputImage(ctx, "folder", `${folder}/${name}`);
      images.push(imageBatchFromRgb([image], [hash]));
    }
    return { images };
  },
};

import { readdir } from "node:fs/promises";
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

/** The `files` input as a list of names: one per line or comma-separated, blanks dropped. */
function listedFiles(value: unknown): string[] {
  return typeof value === "string"
    ? value
        .split(/[\n,]/)
        .map((name) => name.trim())
        .filter((name) => name !== "")
    : [];
}

/** The files to load: the listed ones, or every picture of the folder. */
async function picturesToLoad(
  inputs: NodeInputs,
  resolveInput: (name: string) => string,
): Promise<{ input: string; names: string[] }> {
  const listed = listedFiles(inputs.files);
  if (listed.length > 0) return { input: "files", names: listed };
  const folder = stringInput(inputs, "folder").replace(/\/+$/, "");
  if (folder.trim() === "")
    throw inputError(
      "folder",
      'Pick a folder of the input folder, or list files in "files".',
      "a folder or a file list",
      "nothing",
    );
  try {
    return { input: "folder", names: (await listPictures(resolveInput(folder))).map((name) => `${folder}/${name}`) };
  } catch (error) {
    throw inputError(
      "folder",
      `Cannot list "${folder}" in the input folder (${(error as Error).message}); pick a folder that exists.`,
      "a folder in input/",
      folder,
    );
  }
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
    description:
      "Loads every PNG, JPEG or WebP picture in a folder of the input folder (in name order), or the listed files, as a list.",
    inputs: [
      {
        name: "folder",
        type: "STRING",
        widget: { kind: "FILE", default: "", folder: "input", accept: IMAGE_EXTENSIONS, directory: true },
      },
      {
        name: "files",
        type: "STRING",
        description: "Instead of a folder: file names in the input folder, one per line (or comma-separated).",
        widget: { kind: "STRING", default: "", multiline: true },
      },
    ],
    outputs: [{ name: "images", type: "IMAGE", list: true }],
    isOutput: false,
  },
  async cacheKeyExtra(inputs, ctx) {
    // The listing and every file's content: adding, removing or editing a picture re-runs the node.
    try {
      const { names } = await picturesToLoad(inputs, ctx.files.resolveInput);
      const hashes = await Promise.all(
        names.map(async (name) => `${name}=${contentHash(await ctx.files.readInput(name))}`),
      );
      return hashes.join(";");
    } catch {
      return `unreadable:${String(inputs.folder)}:${String(inputs.files)}`;
    }
  },
  async run(inputs, ctx) {
    const { input, names } = await picturesToLoad(inputs, ctx.files.resolveInput);
    if (names.length === 0) {
      throw inputError(
        input,
        `"${String(inputs.folder)}" holds no PNG, JPEG or WebP pictures; add some or pick another folder.`,
        "at least one picture",
        "none",
      );
    }
    const images = [];
    for (const name of names) {
      const { image, hash } = await readInputImage(ctx, input, name);
      images.push(imageBatchFromRgb([image], [hash]));
    }
    return { images };
  },
};

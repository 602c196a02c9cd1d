import {
  decodeImage,
  floatTensor,
  ImageError,
  type NodeDefinition,
  type NodeInputs,
  type RunContext,
} from "@infix/engine";
import { inputError, stringInput } from "../inputs.ts";
import type { MaskBatch } from "../sockets.ts";
import { contentHash, fileContentHash } from "./file-hash.ts";
import { imageBatchFromRgb } from "./image-batch.ts";

export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".webp"];

/** Reads and decodes one picture of the input folder; errors name the input and the file. */
export async function readInputImage(ctx: Pick<RunContext, "files">, input: string, name: string) {
  let bytes: Uint8Array;
  try {
    bytes = await ctx.files.readInput(name);
  } catch (error) {
    throw inputError(
      input,
      `Cannot read "${name}" from the input folder (${(error as Error).message}); upload it or pick another file.`,
      "an image file in input/",
      name,
    );
  }
  try {
    const decoded = await decodeImage(bytes, { label: `"${name}" in the input folder` });
    return { ...decoded, hash: contentHash(bytes) };
  } catch (error) {
    if (error instanceof ImageError)
      throw inputError(
        input,
        `${error.message}; pick or upload a PNG, JPEG or WebP picture instead.`,
        "a PNG, JPEG or WebP image",
        name,
      );
    throw error;
  }
}

/** Load Image: one picture from the input folder; its alpha (if any) as a MASK (opaque = 1). */
export const loadImageNode: NodeDefinition = {
  schema: {
    type: "LoadImage",
    version: 1,
    category: "image/io",
    title: "Load Image",
    description:
      "Loads a PNG, JPEG or WebP picture from the input folder. The mask output is its alpha channel (all 1 when it has none).",
    inputs: [
      {
        name: "image",
        type: "STRING",
        widget: { kind: "FILE", default: "", folder: "input", accept: IMAGE_EXTENSIONS },
      },
    ],
    outputs: [
      { name: "image", type: "IMAGE" },
      { name: "mask", type: "MASK" },
    ],
    isOutput: false,
  },
  cacheKeyExtra: (inputs: NodeInputs, ctx) => fileContentHash(ctx.files, String(inputs.image ?? "")),
  async run(inputs, ctx) {
    const name = stringInput(inputs, "image", { nonEmpty: true });
    const { image, alpha, hash } = await readInputImage(ctx, "image", name);
    const maskData = alpha ? alpha.data : new Float32Array(image.width * image.height).fill(1);
    const mask: MaskBatch = { type: "MASK", mask: floatTensor([1, image.height, image.width], maskData) };
    return { image: imageBatchFromRgb([image], [hash]), mask };
  },
};

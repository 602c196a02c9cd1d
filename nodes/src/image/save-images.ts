import { embedWorkflowInPng, encodePng, type FileRef, type RunContext, type UiResult } from "@infix/engine";
import type { ImageBatch } from "../sockets.ts";
import { withPackReferences } from "../model/pack-references.ts";
import { imageBatchToRgb } from "./image-batch.ts";

/**
 * Writes every image of a batch as a PNG and shows them on the node. Saved outputs carry
 * the workflow (a PNG text chunk) so dropping the picture on the editor reopens it.
 */
export async function writeImageBatch(
  batch: ImageBatch,
  ctx: Pick<RunContext, "files" | "workflow" | "show" | "resources">,
  options: { prefix: string; folder: "output" | "temp"; embedWorkflow: boolean },
): Promise<FileRef[]> {
  const images = imageBatchToRgb(batch);
  const shown: NonNullable<UiResult["images"]> = [];
  // The embedded workflow names the packs (and their hashes) that made the picture.
  const embedded = options.embedWorkflow ? await withPackReferences(ctx.workflow, ctx.resources) : undefined;
  for (const [index, image] of images.entries()) {
    let png = await encodePng(image);
    if (embedded) png = embedWorkflowInPng(png, embedded);
    const ref = await ctx.files.writeOutput(
      `${options.prefix}_${String(index).padStart(3, "0")}.png`,
      png,
      options.folder,
    );
    shown.push({ ...ref, width: image.width, height: image.height });
  }
  ctx.show({ images: shown });
  return shown.map(({ folder, name }) => ({ folder, name }));
}

/** File-name prefixes may name a subfolder but never climb out of the output folder. */
export function sanitisePrefix(prefix: string): string {
  const cleaned = prefix
    .split(/[\\/]+/)
    .filter((part) => part !== "" && part !== "." && part !== "..")
    .map((part) => part.replace(/[^A-Za-z0-9._ -]/g, "_"))
    .join("/");
  return cleaned || "infix";
}

import sharp from "sharp";
import type { UploadKind } from "../nodes/definition.ts";
import { DEFAULT_MAX_PIXELS } from "../runtime/image/decode.ts";
import { decodeNpy, NpyFormatError } from "../runtime/npy/index.ts";
import { extensionFor, sniffImageType } from "./image-type.ts";

/**
 * What POST /api/uploads accepts, decided by content, never by the name alone: the engine's
 * own kinds — PNG, JPEG and WebP pictures (decodable) and NumPy `.npy` arrays (the engine's
 * decoder reads them whole) — plus the kinds node packages declare (`NodePackage.uploadKinds`),
 * each recognised by its name's suffix and accepted only when its own check passes.
 * Everything else — SVG, HTML, executables, plain `.json` — is refused.
 */

const NPY_EXTENSION = ".npy";
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY, numpy.lib.format
const BUILT_IN_DESCRIPTIONS = ["PNG, JPEG and WebP images", "NumPy .npy arrays"];

/**
 * Bytes a declared kind's check may read. The checks are synchronous (a `.subject.json` one
 * parses the JSON and decodes base64 on the event loop: 25 MB of it stalled every client for
 * hundreds of ms); the files they stand for are small (a BLIP-Diffusion subject, [1,16,768]
 * float32 in base64, is ~66 KB), so a larger one is refused with 413 before its check runs.
 */
export const DEFAULT_MAX_DECLARED_KIND_BYTES = 1024 * 1024;

export type UploadCheck =
  | {
      ok: true;
      /** `png`, `jpeg`, `webp`, `npy`, or the declared kind's name. */
      kind: string;
      /** The name to store under: the upload's stem, the content's (or declared kind's) ending. */
      fileName: string;
      /** The ending a clash counter goes before (`x.note.txt` → `x_1.note.txt`). */
      suffix: string;
    }
  | {
      ok: false;
      /** One sentence for the person uploading. */
      message: string;
      /** 413 when the content is too large (a picture over the pixel budget, a declared kind over its cap); 415 otherwise. */
      status?: 413 | 415;
    };

/**
 * Checks an upload's bytes and picks the name to store it under (extension from the content,
 * or the declared kind's suffix in its declared case).
 *
 * @param kinds the node packages' upload kinds (`NodeRegistry.uploadKinds()`)
 * @example const check = await checkUploadContent(bytes, "noise.npy", []); // { ok: true, kind: "npy", fileName: "noise.npy", suffix: ".npy" }
 */
export async function checkUploadContent(
  bytes: Uint8Array,
  name: string,
  kinds: readonly UploadKind[],
  options: { maxPixels?: number; maxDeclaredKindBytes?: number } = {},
): Promise<UploadCheck> {
  const image = sniffImageType(bytes);
  if (image) {
    // Magic bytes can lie (a truncated file, a polyglot); decode the header to be sure. Only the
    // header: a decompression bomb (30000×30000 in a few KB) is refused by its size before any pixel is made.
    let size: { width?: number; height?: number };
    try {
      size = await sharp(bytes, { limitInputPixels: false }).metadata();
      if (!size.width || !size.height) throw new Error("no size");
    } catch {
      return { ok: false, message: `the file starts like a ${image.toUpperCase()} but cannot be decoded` };
    }
    const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    if (size.width! * size.height! > maxPixels) {
      return {
        ok: false,
        status: 413,
        message: `the picture is ${size.width}×${size.height} pixels, over the limit of ${maxPixels} pixels; scale it down first`,
      };
    }
    const suffix = extensionFor(image);
    return { ok: true, kind: image, fileName: `${stemOf(name)}${suffix}`, suffix };
  }
  if (startsWith(bytes, NPY_MAGIC)) {
    try {
      decodeNpy(bytes, name);
    } catch (error) {
      if (error instanceof NpyFormatError) return { ok: false, message: `not a readable .npy array: ${error.message}` };
      throw error;
    }
    return { ok: true, kind: "npy", fileName: `${stemOf(name)}${NPY_EXTENSION}`, suffix: NPY_EXTENSION };
  }
  const declared = declaredKindOf(name, kinds);
  if (declared) {
    const cap = options.maxDeclaredKindBytes ?? DEFAULT_MAX_DECLARED_KIND_BYTES;
    if (bytes.length > cap)
      return {
        ok: false,
        status: 413,
        message: `the ${declared.suffix} file is ${bytes.length} bytes, over the limit of ${cap} bytes for ${declared.description}`,
      };
    const reason = declared.check(bytes);
    if (reason !== undefined) return { ok: false, message: `not a usable ${declared.suffix} file: ${reason}` };
    return {
      ok: true,
      kind: declared.name,
      fileName: `${name.slice(0, -declared.suffix.length)}${declared.suffix}`,
      suffix: declared.suffix,
    };
  }
  return { ok: false, message: `only ${acceptedUploads(kinds)} can be uploaded` };
}

/**
 * The accepted kinds in words, for refusals: the built-in ones, then each declared kind's
 * description and suffix.
 *
 * @example acceptedUploads([noteKind]) // → "PNG, JPEG and WebP images, NumPy .npy arrays and text notes (.note.txt)"
 */
export function acceptedUploads(kinds: readonly UploadKind[]): string {
  const parts = [...BUILT_IN_DESCRIPTIONS, ...kinds.map((kind) => `${kind.description} (${kind.suffix})`)];
  return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/** The declared kind whose suffix ends `name` (case-insensitive), the longest when several do (`.b.txt` before `.txt`). */
function declaredKindOf(name: string, kinds: readonly UploadKind[]): UploadKind | undefined {
  const lower = name.toLowerCase();
  let best: UploadKind | undefined;
  for (const kind of kinds) {
    // A name that is only the suffix has no stem to store under.
    if (lower.length > kind.suffix.length && lower.endsWith(kind.suffix)) {
      if (!best || kind.suffix.length > best.suffix.length) best = kind;
    }
  }
  return best;
}

/** The name without a short extension (`cat.png` → `cat`), so the stored one follows the content. */
function stemOf(name: string): string {
  return name.replace(/\.[A-Za-z0-9]{1,5}$/, "");
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

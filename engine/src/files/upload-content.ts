import sharp from "sharp";
import { decodeNpy, NpyFormatError } from "../runtime/npy/index.ts";
import { extensionFor, sniffImageType } from "./image-type.ts";

/**
 * What POST /api/uploads accepts, decided by content, never by the name alone: PNG, JPEG and
 * WebP pictures (decodable), NumPy `.npy` arrays (the engine's own decoder reads them whole,
 * as Load Latent-style nodes will), and `.subject.json` documents (a JSON object; the node that
 * reads one checks its fields). Everything else — SVG, HTML, executables — is refused.
 */
export type UploadKind = "png" | "jpeg" | "webp" | "npy" | "subject-json";

/** The name ending that marks a JSON upload; plain `.json` stays refused (workflows have their own route). */
const SUBJECT_JSON_EXTENSION = ".subject.json";
const NPY_EXTENSION = ".npy";
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY, numpy.lib.format

export type UploadCheck =
  | {
      ok: true;
      kind: UploadKind;
      /** The name to store under: the upload's stem, the content's extension. */ fileName: string;
    }
  | { ok: false; /** One sentence for the person uploading. */ message: string };

const ACCEPTED_UPLOADS = "PNG, JPEG and WebP images, NumPy .npy arrays and .subject.json files";

/**
 * Checks an upload's bytes and picks the name to store it under (extension from the content).
 *
 * @example const check = await checkUploadContent(bytes, "noise.npy"); // { ok: true, kind: "npy", fileName: "noise.npy" }
 */
export async function checkUploadContent(bytes: Uint8Array, name: string): Promise<UploadCheck> {
  const image = sniffImageType(bytes);
  if (image) {
    // Magic bytes can lie (a truncated file, a polyglot); decode the header to be sure.
    try {
      const { width, height } = await sharp(bytes).metadata();
      if (!width || !height) throw new Error("no size");
    } catch {
      return { ok: false, message: `the file starts like a ${image.toUpperCase()} but cannot be decoded` };
    }
    return { ok: true, kind: image, fileName: `${stemOf(name)}${extensionFor(image)}` };
  }
  if (startsWith(bytes, NPY_MAGIC)) {
    try {
      decodeNpy(bytes, name);
    } catch (error) {
      if (error instanceof NpyFormatError) return { ok: false, message: `not a readable .npy array: ${error.message}` };
      throw error;
    }
    return { ok: true, kind: "npy", fileName: `${stemOf(name)}${NPY_EXTENSION}` };
  }
  if (name.toLowerCase().endsWith(SUBJECT_JSON_EXTENSION)) {
    const problem = jsonObjectProblem(bytes);
    if (problem)
      return { ok: false, message: `a ${SUBJECT_JSON_EXTENSION} file must be a JSON object, but ${problem}` };
    return {
      ok: true,
      kind: "subject-json",
      fileName: `${name.slice(0, -SUBJECT_JSON_EXTENSION.length)}${SUBJECT_JSON_EXTENSION}`,
    };
  }
  return { ok: false, message: `only ${ACCEPTED_UPLOADS} can be uploaded` };
}

/** The name without a short extension (`cat.png` → `cat`), so the stored one follows the content. */
function stemOf(name: string): string {
  return name.replace(/\.[A-Za-z0-9]{1,5}$/, "");
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** Why `bytes` are not a UTF-8 JSON object, or null when they are one. */
function jsonObjectProblem(bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return "it is not UTF-8 text";
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `it does not parse (${(error as Error).message})`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `it holds ${Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`}`;
  }
  return null;
}

/**
 * Recognises the picture formats the server accepts for upload by their magic bytes, so a
 * renamed executable or an SVG (script inside) never lands in the input folder as an "image".
 * Signatures: PNG spec §5.2, JPEG SOI marker (ITU T.81 B.1.1.2), WebP RIFF container (RFC 9649 §2).
 */
export type ImageType = "png" | "jpeg" | "webp";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image type of `bytes`, or null when it is none of PNG, JPEG, WebP. */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "webp";
  return null;
}

/** The usual file extension (with the dot) for an image type. */
export function extensionFor(type: ImageType): string {
  return type === "jpeg" ? ".jpg" : `.${type}`;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

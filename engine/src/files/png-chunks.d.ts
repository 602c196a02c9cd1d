// Minimal types for the PNG chunk packages (they ship none).
declare module "png-chunks-extract" {
  /** Splits a PNG into its chunks; throws on a bad signature or CRC. */
  export default function extractChunks(data: Uint8Array): { name: string; data: Uint8Array }[];
}
declare module "png-chunks-encode" {
  /** Joins chunks back into PNG bytes, computing lengths and CRCs. */
  export default function encodeChunks(chunks: { name: string; data: Uint8Array }[]): Uint8Array;
}
declare module "png-chunk-text" {
  /** Builds a tEXt chunk (Latin-1 keyword and text). */
  export function encode(keyword: string, text: string): { name: "tEXt"; data: Uint8Array };
  /** Reads a tEXt chunk's keyword and Latin-1 text. */
  export function decode(data: Uint8Array | { name: string; data: Uint8Array }): { keyword: string; text: string };
}

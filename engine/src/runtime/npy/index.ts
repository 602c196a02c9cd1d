export { decodeNpy, encodeNpy, NpyFormatError, readNpyFile, writeNpyFile } from "./npy.ts";
export type { NpyArray, NpyErrorCode } from "./npy.ts";
export type { NpyHeader } from "./npy-header.ts";

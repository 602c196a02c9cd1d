import { crc32 } from "node:zlib";
import { decode as decodeText, encode as encodeText } from "png-chunk-text";
import { AnyVersionWorkflowSchema } from "../graph/parse.ts";
import type { Workflow } from "../graph/workflow.ts";

/**
 * The workflow that made a picture travels inside it, as ComfyUI does with its `prompt` and
 * `workflow` text chunks: dropping a saved PNG on the editor reopens the graph.
 */

/** The PNG text-chunk keyword under which Infix stores the workflow. */
export const WORKFLOW_PNG_KEYWORD = "infix-workflow";

/**
 * Returns a copy of `png` with `workflow` embedded as a `tEXt` chunk (keyword
 * `infix-workflow`) placed before IEND, replacing any workflow embedded before.
 * tEXt is Latin-1 (PNG spec §11.3.4.3), so the JSON is written with every non-ASCII
 * character escaped as `\uXXXX`, which JSON readers decode back unchanged.
 *
 * @example const tagged = embedWorkflowInPng(pngBytes, workflow);
 */
export function embedWorkflowInPng(png: Uint8Array, workflow: Workflow): Uint8Array {
  const json = JSON.stringify(workflow).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const text = encodeText(WORKFLOW_PNG_KEYWORD, json);
  // Copy the chunks as they are (their CRCs stay valid) and checksum only the new one: the
  // picture's data is never re-encoded, so a large PNG costs a memcpy, not ~1 s of CRC on the event loop.
  const kept: Uint8Array[] = [png.subarray(0, 8)];
  let iend: Uint8Array | undefined;
  for (const chunk of walkChunks(png)) {
    if (chunk.name === "IEND") iend = chunk.bytes;
    else if (!isWorkflowChunk(chunk)) kept.push(chunk.bytes);
  }
  if (kept.length === 1) throw new Error("not a PNG: no chunks after the signature");
  return Buffer.concat([...kept, chunkBytes(text.name, text.data), iend ?? chunkBytes("IEND", new Uint8Array(0))]);
}

/** A chunk's bytes: length, type, data, CRC-32 of type and data (PNG spec §5.3). */
function chunkBytes(name: string, data: Uint8Array): Uint8Array {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(name, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * The workflow embedded in a PNG by {@link embedWorkflowInPng} (or an uncompressed `iTXt`
 * chunk with the same keyword), or null when there is none, the bytes are not a PNG, or the
 * embedded text is not a valid workflow.
 */
export function readWorkflowFromPng(png: Uint8Array): Workflow | null {
  for (const chunk of walkChunks(png)) {
    const text = workflowText(chunk);
    if (text === null) continue;
    try {
      const parsed = AnyVersionWorkflowSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {
      // not JSON: keep looking, another chunk may hold a good copy
    }
  }
  return null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The chunks of a PNG (name, data, and the whole chunk's bytes), found by walking chunk
 * headers and jumping over their data: no copy and no CRC check, so an 18 MB picture costs
 * microseconds of event-loop time instead of the ~0.5 s png-chunks-extract spent checking
 * every CRC. A PNG cut short simply ends the walk; bytes that are not a PNG yield nothing.
 */
function walkChunks(png: Uint8Array): { name: string; data: Uint8Array; bytes: Uint8Array }[] {
  if (png.length < 8 || PNG_SIGNATURE.some((byte, i) => png[i] !== byte)) return [];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const found: { name: string; data: Uint8Array; bytes: Uint8Array }[] = [];
  for (let offset = 8; offset + 12 <= png.length;) {
    const length = view.getUint32(offset);
    const name = String.fromCharCode(png[offset + 4], png[offset + 5], png[offset + 6], png[offset + 7]);
    const end = offset + 12 + length;
    if (end > png.length) break;
    found.push({ name, data: png.subarray(offset + 8, offset + 8 + length), bytes: png.subarray(offset, end) });
    if (name === "IEND") break;
    offset = end;
  }
  return found;
}

function isWorkflowChunk(chunk: { name: string; data: Uint8Array }): boolean {
  return workflowText(chunk) !== null;
}

/** The text of a tEXt or uncompressed iTXt chunk keyed `infix-workflow`, else null. */
function workflowText(chunk: { name: string; data: Uint8Array }): string | null {
  if (chunk.name === "tEXt") {
    try {
      const { keyword, text } = decodeText(chunk.data);
      return keyword === WORKFLOW_PNG_KEYWORD ? text : null;
    } catch {
      return null;
    }
  }
  if (chunk.name === "iTXt") return readUncompressedItxt(chunk.data);
  return null;
}

/** iTXt layout (PNG spec §11.3.4.5): keyword 0 flag method language 0 translated-keyword 0 UTF-8 text. */
function readUncompressedItxt(data: Uint8Array): string | null {
  const keywordEnd = data.indexOf(0);
  if (keywordEnd <= 0) return null;
  const keyword = new TextDecoder("latin1").decode(data.subarray(0, keywordEnd));
  if (keyword !== WORKFLOW_PNG_KEYWORD) return null;
  const compressed = data[keywordEnd + 1];
  if (compressed !== 0) return null;
  const languageEnd = data.indexOf(0, keywordEnd + 3);
  if (languageEnd === -1) return null;
  const translatedEnd = data.indexOf(0, languageEnd + 1);
  if (translatedEnd === -1) return null;
  return new TextDecoder("utf-8").decode(data.subarray(translatedEnd + 1));
}

import { createHash } from "node:crypto";
import { z } from "zod";
import { elementCount, floatTensor } from "@infix/engine";
import type { SubjectEmbedding } from "../sockets.ts";

/**
 * The portable subject file (`<name>.subject.json`): a JSON header with the embedding as
 * base64 little-endian float32, so a subject computed once can be shared and reused
 * without the reference images. JSON keeps it diffable and readable; at 16×768 floats the
 * base64 costs ~66 KB, which is fine.
 */

export const SUBJECT_FILE_FORMAT = "infix-subject";
export const SUBJECT_FILE_VERSION = 1;
export const SUBJECT_FILE_EXTENSION = ".subject.json";

const SubjectFileSchema = z.object({
  format: z.literal(SUBJECT_FILE_FORMAT),
  version: z.literal(SUBJECT_FILE_VERSION),
  pack: z.object({ name: z.string(), hash: z.string() }),
  category: z.string(),
  sourceHashes: z.array(z.string()),
  /** [Q,D] or [B,Q,D] */
  dims: z.array(z.number().int().positive()).min(2).max(3),
  dtype: z.literal("float32"),
  /** Base64 of the little-endian float32 values, row-major. */
  data: z.string(),
  /** sha256 of the raw float bytes, to catch truncated or hand-edited files. */
  checksum: z.string(),
});
export type SubjectFile = z.infer<typeof SubjectFileSchema>;

function floatBytes(values: Float32Array): Buffer {
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i], i * 4);
  return bytes;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Serialises a subject to the file's JSON text. */
export function encodeSubjectFile(subject: SubjectEmbedding): string {
  const bytes = floatBytes(subject.embedding.data);
  const file: SubjectFile = {
    format: SUBJECT_FILE_FORMAT,
    version: SUBJECT_FILE_VERSION,
    pack: { name: subject.packName, hash: subject.packHash },
    category: subject.category,
    sourceHashes: [...subject.sourceHashes],
    dims: [...subject.embedding.dims],
    dtype: "float32",
    data: bytes.toString("base64"),
    checksum: sha256(bytes),
  };
  return JSON.stringify(file, null, 1);
}

/** Parses a subject file; a string explaining what is wrong when it is not one. */
export function decodeSubjectFile(text: string): SubjectEmbedding | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  const parsed = SubjectFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `not an ${SUBJECT_FILE_FORMAT} v${SUBJECT_FILE_VERSION} file: ${issue.path.join(".") || "(root)"}: ${issue.message}`;
  }
  const file = parsed.data;
  const bytes = Buffer.from(file.data, "base64");
  const count = elementCount(file.dims);
  if (bytes.length !== count * 4)
    return `holds ${bytes.length / 4} values but dims [${file.dims.join(",")}] need ${count}`;
  if (sha256(bytes) !== file.checksum) return "checksum does not match the data (the file was truncated or edited)";
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = bytes.readFloatLE(i * 4);
  return {
    type: "SUBJECT",
    embedding: floatTensor(file.dims, values),
    packName: file.pack.name,
    packHash: file.pack.hash,
    category: file.category,
    sourceHashes: file.sourceHashes,
  };
}

/**
 * Checks an embedding's shape against the pack it will be used with: the last two dims
 * must be [num_query_tokens, text_hidden_size]. Returns a message, or null when it fits.
 */
export function checkSubjectShape(dims: readonly number[], queryTokens: number, hiddenSize: number): string | null {
  const q = dims[dims.length - 2];
  const d = dims[dims.length - 1];
  if (dims.length < 2 || dims.length > 3 || q !== queryTokens || d !== hiddenSize) {
    return `the subject has shape [${dims.join(",")}] but this pack needs [${queryTokens},${hiddenSize}] (Q=num_query_tokens, D=text_hidden_size); it was made with a different model pack`;
  }
  return null;
}

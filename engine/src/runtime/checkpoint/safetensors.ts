/**
 * A streaming reader of the safetensors format (huggingface/safetensors, "Format" section):
 * an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name to
 * `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the byte after the
 * header), an optional `__metadata__` string map, then the tensors' bytes. Only the header is
 * read on open; each tensor is read from the file handle when asked.
 */
import { open, type FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { dtypeByteSize, toFloat32 } from "./dtype-conversion.ts";
import { CheckpointError, type Checkpoint, type CheckpointDtype, type CheckpointTensorInfo } from "./types.ts";

/** The format's own cap on the header (safetensors refuses headers over 100 MB). */
export const maxSafetensorsHeaderBytes = 100_000_000;

const safetensorsDtypes: Readonly<Record<string, CheckpointDtype>> = {
  F32: "float32",
  F16: "float16",
  BF16: "bfloat16",
  F64: "float64",
  I64: "int64",
  I32: "int32",
  U8: "uint8",
  BOOL: "bool",
};

interface SafetensorsEntry extends CheckpointTensorInfo {
  /** Absolute byte range in the file. */
  readonly begin: number;
  readonly end: number;
}

/** Parses and checks a safetensors header against the file's size; throws `CheckpointError` naming the problem. */
export function parseSafetensorsHeader(
  label: string,
  headerText: string,
  dataStart: number,
  fileSize: number,
): SafetensorsEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(headerText);
  } catch (error) {
    throw new CheckpointError(label, `the safetensors header is not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CheckpointError(label, "the safetensors header must be a JSON object of tensors");
  }
  const dataSize = fileSize - dataStart;
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === "__metadata__") {
      const ok =
        typeof value === "object" && value !== null && Object.values(value).every((v) => typeof v === "string");
      if (!ok) throw new CheckpointError(label, "__metadata__ must map names to strings");
      continue;
    }
    const fail = (message: string): never => {
      throw new CheckpointError(label, message, name);
    };
    if (typeof value !== "object" || value === null) fail("the header entry is not an object");
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    const mapped = typeof dtype === "string" ? safetensorsDtypes[dtype] : undefined;
    if (!mapped) {
      fail(`unsupported dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(safetensorsDtypes).join(", ")})`);
    }
    const dtypeOf = mapped as CheckpointDtype;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`the shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      fail(`data_offsets ${JSON.stringify(offsets)} is not a [begin, end] pair with begin ≤ end`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataSize) {
      fail(`data_offsets [${begin}, ${end}] run past the end of the file (${dataSize} bytes of tensor data)`);
    }
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== elements * dtypeByteSize[dtypeOf]) {
      fail(
        `data_offsets span ${end - begin} bytes but shape [${(shape as number[]).join(",")}] of ${dtypeOf} needs ${elements * dtypeByteSize[dtypeOf]}`,
      );
    }
    entries.push({ name, dtype: dtypeOf, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  // File order is data order (the header's JSON key order is whatever the writer chose).
  return entries.sort((a, b) => a.begin - b.begin);
}

class SafetensorsCheckpoint implements Checkpoint {
  private readonly byName: Map<string, SafetensorsEntry>;

  constructor(
    readonly label: string,
    private readonly file: FileHandle,
    private readonly entries: SafetensorsEntry[],
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  names(): readonly string[] {
    return this.entries.map((e) => e.name);
  }

  info(name: string): CheckpointTensorInfo | undefined {
    const entry = this.byName.get(name);
    return entry && { name: entry.name, dtype: entry.dtype, shape: entry.shape };
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const entry = this.byName.get(name);
    if (!entry) throw new CheckpointError(this.label, "no such tensor in the checkpoint", name);
    const bytes = Buffer.allocUnsafe(entry.end - entry.begin);
    let read = 0;
    while (read < bytes.length) {
      const { bytesRead } = await this.file.read(bytes, read, bytes.length - read, entry.begin + read);
      if (bytesRead === 0) throw new CheckpointError(this.label, "the file ended inside the tensor's data", name);
      read += bytesRead;
    }
    return toFloat32(bytes, entry.dtype);
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

/**
 * Opens a `.safetensors` file: reads and checks its header only; tensors are read on demand.
 *
 * @param path - the file to open.
 * @param label - how messages name it (defaults to the file's base name).
 * @example
 * const checkpoint = await openSafetensors("unet/diffusion_pytorch_model.safetensors");
 * const weight = await checkpoint.readFloat32("conv_in.weight");
 * await checkpoint.close();
 */
export async function openSafetensors(path: string, label = basename(path)): Promise<Checkpoint> {
  let file: FileHandle;
  try {
    file = await open(path, "r");
  } catch (error) {
    throw new CheckpointError(label, `cannot open the file (${(error as Error).message})`);
  }
  try {
    const { size } = await file.stat();
    if (size < 8)
      throw new CheckpointError(label, `a safetensors file starts with an 8-byte header length; it has ${size} bytes`);
    const lengthBytes = Buffer.alloc(8);
    await file.read(lengthBytes, 0, 8, 0);
    const headerLength = lengthBytes.readBigUInt64LE(0);
    if (headerLength > BigInt(maxSafetensorsHeaderBytes)) {
      throw new CheckpointError(
        label,
        `the header claims ${headerLength} bytes (at most ${maxSafetensorsHeaderBytes} allowed); not a safetensors file?`,
      );
    }
    const length = Number(headerLength);
    if (8 + length > size) {
      throw new CheckpointError(
        label,
        `the header claims ${length} bytes but the file has only ${size - 8} after the length`,
      );
    }
    const header = Buffer.alloc(length);
    await file.read(header, 0, length, 8);
    const entries = parseSafetensorsHeader(label, header.toString("utf8"), 8 + length, size);
    return new SafetensorsCheckpoint(label, file, entries);
  } catch (error) {
    await file.close();
    throw error;
  }
}

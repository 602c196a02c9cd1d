/**
 * PyTorch `.bin` checkpoints: the zip archive torch.save writes (torch/serialization.py
 * `_save`): `<archive>/data.pkl` pickles the state dict with each tensor's bytes in an
 * uncompressed entry `<archive>/data/<key>`. The pickle is read as plain data (torch-pickle.ts);
 * a tensor's bytes are read from its entry only when asked for, so opening a checkpoint costs
 * its pickle and nothing more.
 */
import path from "node:path";
import type { Readable } from "node:stream";
import yauzl from "yauzl";
import { dtypeByteSize, toFloat32 } from "./dtype-conversion.ts";
import { isTorchTensorRef, parseTorchPickle, TorchPickleError, type TorchTensorRef } from "./torch-pickle.ts";
import { CheckpointError, type Checkpoint, type CheckpointTensorInfo } from "./types.ts";

/** A state dict's pickle is small (names and shapes); a bigger one is not a weight file. */
const MAX_PICKLE_BYTES = 64 * 1024 * 1024;

async function readAll(stream: Readable, limit: number, file: string, entry: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      stream.destroy();
      throw new CheckpointError(file, `${entry} is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Every entry of the archive by name, read from its central directory (no entry data is read). */
async function listEntries(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  const entries = new Map<string, yauzl.Entry>();
  await new Promise<void>((resolve, reject) => {
    zip.on("entry", (entry: yauzl.Entry) => {
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.on("end", resolve);
    zip.on("error", reject);
    zip.readEntry();
  });
  return entries;
}

/** The elements a strided view touches, as [first, last] storage indices (empty views touch none). */
function storageSpan(ref: TorchTensorRef): { first: number; count: number } {
  if (ref.shape.some((size) => size === 0)) return { first: ref.storageOffset, count: 0 };
  let last = ref.storageOffset;
  for (let dim = 0; dim < ref.shape.length; dim++) last += (ref.shape[dim] - 1) * ref.stride[dim];
  return { first: ref.storageOffset, count: last - ref.storageOffset + 1 };
}

function isContiguous(ref: TorchTensorRef): boolean {
  let expected = 1;
  for (let dim = ref.shape.length - 1; dim >= 0; dim--) {
    if (ref.shape[dim] !== 1 && ref.stride[dim] !== expected) return false;
    expected *= ref.shape[dim];
  }
  return true;
}

/** Copies a strided view out of `span` (which starts at the view's first element) in C order. */
function gatherStrided(span: Float32Array, ref: TorchTensorRef, numel: number): Float32Array {
  const out = new Float32Array(numel);
  const rank = ref.shape.length;
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let i = 0; i < numel; i++) {
    out[i] = span[source];
    // Odometer over the shape, moving the source by the stride of each dimension that advances.
    for (let dim = rank - 1; dim >= 0; dim--) {
      index[dim]++;
      source += ref.stride[dim];
      if (index[dim] < ref.shape[dim]) break;
      source -= ref.stride[dim] * ref.shape[dim];
      index[dim] = 0;
    }
  }
  return out;
}

/**
 * Opens a PyTorch zip checkpoint (`pytorch_model.bin`, `diffusion_pytorch_model.bin`) as a
 * `Checkpoint`. Refuses, with a `CheckpointError` naming the file, a legacy (pre-1.6, non-zip)
 * file, a pickle that uses any global beyond torch's tensor-rebuild set, and tensors whose view
 * does not fit their storage.
 *
 * @example
 * const unet = await openTorchBin("unet/diffusion_pytorch_model.bin");
 * const conv = await unet.readFloat32("conv_in.weight");
 */
export async function openTorchBin(file: string, label = path.basename(file)): Promise<Checkpoint> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  } catch (error) {
    throw new CheckpointError(
      label,
      `not a PyTorch zip checkpoint (${(error as Error).message}); files from torch < 1.6 must be re-saved`,
    );
  }
  try {
    const entries = await listEntries(zip);
    const pickleName = [...entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
    if (!pickleName) throw new CheckpointError(label, "no <archive>/data.pkl: not a torch.save archive");
    const archive = pickleName.slice(0, -"/data.pkl".length);
    const byteorder = entries.get(`${archive}/byteorder`);
    if (byteorder) {
      const order = (await readAll(await zip.openReadStreamPromise(byteorder), 16, label, "byteorder")).toString();
      if (order !== "little") throw new CheckpointError(label, `byteorder is ${order}; only little-endian is read`);
    }
    const pickleEntry = entries.get(pickleName)!;
    const pickle = await readAll(await zip.openReadStreamPromise(pickleEntry), MAX_PICKLE_BYTES, label, pickleName);
    let state: unknown;
    try {
      state = parseTorchPickle(pickle);
    } catch (error) {
      if (error instanceof TorchPickleError) throw new CheckpointError(label, error.message);
      throw error;
    }
    if (!(state instanceof Map)) throw new CheckpointError(label, "the pickle is not a dict of tensors");
    const tensors = new Map<string, TorchTensorRef>();
    for (const [name, value] of state) {
      // Non-tensor entries (an epoch counter, say) are not weights; the importer asks for names it needs.
      if (typeof name === "string" && isTorchTensorRef(value)) tensors.set(name, value);
    }
    if (tensors.size === 0) {
      const keys = [...state.keys()].slice(0, 8).map(String);
      throw new CheckpointError(
        label,
        `holds no tensors at its top level (keys: ${keys.join(", ") || "none"}); a weight file is a flat dict of tensors, ` +
          "as save_pretrained writes it (a training checkpoint's state_dict must be saved on its own)",
      );
    }
    return new TorchBinCheckpoint(label, zip, archive, entries, tensors);
  } catch (error) {
    zip.close();
    throw error;
  }
}

class TorchBinCheckpoint implements Checkpoint {
  constructor(
    readonly label: string,
    private readonly zip: yauzl.ZipFile,
    private readonly archive: string,
    private readonly entries: Map<string, yauzl.Entry>,
    private readonly tensors: Map<string, TorchTensorRef>,
  ) {}

  names(): readonly string[] {
    return [...this.tensors.keys()];
  }

  info(name: string): CheckpointTensorInfo | undefined {
    const ref = this.tensors.get(name);
    return ref && { name, dtype: ref.storage.dtype, shape: ref.shape };
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const ref = this.tensors.get(name);
    if (!ref) throw new CheckpointError(this.label, "no such tensor in the checkpoint", name);
    const numel = ref.shape.reduce((product, size) => product * size, 1);
    const { first, count } = storageSpan(ref);
    if (first + count > ref.storage.numel) {
      throw new CheckpointError(
        this.label,
        `view (offset ${first}, ${count} elements) runs past its storage of ${ref.storage.numel}`,
        name,
      );
    }
    if (count === 0) return new Float32Array(0);
    const entryName = `${this.archive}/data/${ref.storage.key}`;
    const entry = this.entries.get(entryName);
    if (!entry) throw new CheckpointError(this.label, `storage ${entryName} is missing from the archive`, name);
    const size = dtypeByteSize[ref.storage.dtype];
    if (entry.uncompressedSize < ref.storage.numel * size) {
      throw new CheckpointError(
        this.label,
        `storage ${entryName} holds ${entry.uncompressedSize} bytes, expected ${ref.storage.numel * size}`,
        name,
      );
    }
    const start = first * size;
    const end = start + count * size;
    // torch.save stores entries uncompressed, so the view's bytes are read directly; a
    // re-zipped (deflated) archive is read from the entry's start instead.
    const stream =
      entry.compressionMethod === 0
        ? await this.zip.openReadStreamPromise(entry, { start, end })
        : await this.zip.openReadStreamPromise(entry);
    let bytes = await readAll(stream, entry.compressionMethod === 0 ? end - start : end, this.label, entryName);
    if (entry.compressionMethod !== 0) bytes = bytes.subarray(start, end);
    const span = toFloat32(bytes, ref.storage.dtype);
    return isContiguous(ref) ? span : gatherStrided(span, ref, numel);
  }

  async close(): Promise<void> {
    this.zip.close();
  }
}

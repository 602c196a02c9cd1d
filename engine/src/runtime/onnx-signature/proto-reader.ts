import { open, type FileHandle } from "node:fs/promises";

/**
 * Minimal protobuf wire-format readers (https://protobuf.dev/programming-guides/encoding/):
 * enough to walk messages field by field and skip what we do not need. `FileProtoReader`
 * streams a file through a fixed buffer and skips length-delimited fields by moving its
 * position, so a multi-GB initializer is never read.
 */

export const WireType = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

export interface FieldTag {
  readonly field: number;
  readonly wireType: number;
}

/** Reads a message that sits fully in memory (small ones: value infos, shapes). */
export class BufferProtoReader {
  position = 0;

  constructor(
    private readonly bytes: Uint8Array,
    readonly end: number = bytes.length,
  ) {}

  get done(): boolean {
    return this.position >= this.end;
  }

  /** A varint as a JS number; exact up to 2^53, which covers every length and dimension we read. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.position >= this.end) throw new ProtoFormatError("truncated varint");
      const byte = this.bytes[this.position++];
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new ProtoFormatError("varint longer than 10 bytes");
  }

  tag(): FieldTag {
    const key = this.varint();
    return { field: Math.floor(key / 8), wireType: key & 7 };
  }

  /** The bytes of a length-delimited field (a view, not a copy). */
  lengthDelimited(): Uint8Array {
    const length = this.varint();
    if (this.position + length > this.end) throw new ProtoFormatError("length-delimited field runs past its message");
    const view = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return view;
  }

  string(): string {
    return new TextDecoder().decode(this.lengthDelimited());
  }

  skip(wireType: number): void {
    if (wireType === WireType.varint) this.varint();
    else if (wireType === WireType.lengthDelimited) this.lengthDelimited();
    else this.position += fixedLength(wireType);
    if (this.position > this.end) throw new ProtoFormatError("field runs past its message");
  }
}

/** Streams a protobuf file: reads through a window, seeks over skipped fields. */
export class FileProtoReader {
  private window = new Uint8Array(0);
  private windowStart = 0;
  position = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly chunkBytes: number,
  ) {}

  static async open(path: string, chunkBytes = 64 * 1024): Promise<FileProtoReader> {
    const handle = await open(path, "r");
    const { size } = await handle.stat();
    return new FileProtoReader(handle, size, chunkBytes);
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /** Makes `count` bytes from the current position available in the window. */
  private async ensure(count: number): Promise<void> {
    const offset = this.position - this.windowStart;
    if (offset >= 0 && offset + count <= this.window.length) return;
    const length = Math.min(Math.max(count, this.chunkBytes), this.size - this.position);
    if (length < count) throw new ProtoFormatError("file ends inside a field");
    const buffer = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(buffer, filled, length - filled, this.position + filled);
      if (bytesRead === 0) throw new ProtoFormatError("file ends inside a field");
      filled += bytesRead;
    }
    this.window = buffer;
    this.windowStart = this.position;
  }

  async varint(): Promise<number> {
    await this.ensure(Math.min(10, this.size - this.position));
    const inner = new BufferProtoReader(this.window, this.window.length);
    inner.position = this.position - this.windowStart;
    const value = inner.varint();
    this.position = this.windowStart + inner.position;
    return value;
  }

  async tag(): Promise<FieldTag> {
    const key = await this.varint();
    return { field: Math.floor(key / 8), wireType: key & 7 };
  }

  /** Reads a length-delimited field into memory (use only for fields known to be small). */
  async lengthDelimited(): Promise<Uint8Array> {
    const length = await this.varint();
    await this.ensure(length);
    const offset = this.position - this.windowStart;
    this.position += length;
    return this.window.subarray(offset, offset + length);
  }

  /** Skips one field's value without reading it. */
  async skip(wireType: number): Promise<void> {
    if (wireType === WireType.varint) {
      await this.varint();
      return;
    }
    const length = wireType === WireType.lengthDelimited ? await this.varint() : fixedLength(wireType);
    this.position += length;
    if (this.position > this.size) throw new ProtoFormatError("file ends inside a field");
  }
}

export class ProtoFormatError extends Error {
  override readonly name = "ProtoFormatError";
}

function fixedLength(wireType: number): number {
  if (wireType === WireType.fixed64) return 8;
  if (wireType === WireType.fixed32) return 4;
  throw new ProtoFormatError(`unsupported wire type ${wireType}`);
}

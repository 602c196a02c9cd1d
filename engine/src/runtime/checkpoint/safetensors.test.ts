import { mkdtempSync, writeFileSync } from "node:fs";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { openSafetensors } from "./safetensors.ts";
import { encodeSafetensorsHeader, writeSafetensors } from "./safetensors-writer.ts";
import { CheckpointError } from "./types.ts";

const folder = mkdtempSync(join(tmpdir(), "infix-safetensors-"));
let counter = 0;
const pathFor = () => join(folder, `file${counter++}.safetensors`);

/** A file of an 8-byte length, `header` text and `data`, written by hand (not by our writer). */
function handWritten(header: string, data: Uint8Array = new Uint8Array(), lengthOverride?: bigint): string {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(lengthOverride ?? BigInt(Buffer.byteLength(header)));
  const path = pathFor();
  writeFileSync(path, Buffer.concat([length, Buffer.from(header), data]));
  return path;
}

describe("openSafetensors", () => {
  it("reads tensors from a hand-written file: names in data order, dtypes, shapes and values", async () => {
    // Header lists b before a, but a's bytes come first.
    const header = JSON.stringify({
      __metadata__: { format: "pt" },
      b: { dtype: "F16", shape: [2], data_offsets: [8, 12] },
      a: { dtype: "F32", shape: [1, 2], data_offsets: [0, 8] },
    });
    const data = Buffer.concat([
      Buffer.from(Float32Array.from([0.5, -7]).buffer),
      Buffer.from(new Uint16Array([0x3c00, 0xc400]).buffer), // 1, -4
    ]);
    const checkpoint = await openSafetensors(handWritten(header, data), "hand.safetensors");
    expect(checkpoint.names()).toEqual(["a", "b"]);
    expect(checkpoint.info("a")).toEqual({ name: "a", dtype: "float32", shape: [1, 2] });
    expect(checkpoint.info("b")).toEqual({ name: "b", dtype: "float16", shape: [2] });
    expect(checkpoint.info("missing")).toBeUndefined();
    expect(Array.from(await checkpoint.readFloat32("b"))).toEqual([1, -4]);
    expect(Array.from(await checkpoint.readFloat32("a"))).toEqual([0.5, -7]);
    await expect(checkpoint.readFloat32("missing")).rejects.toThrow("hand.safetensors (missing): no such tensor");
    await checkpoint.close();
  });

  it("round-trips our writer's files, whose header is padded to 8 bytes", async () => {
    const path = pathFor();
    const tensors = [
      {
        name: "w",
        dtype: "bfloat16" as const,
        shape: [3],
        bytes: () => new Uint8Array(new Uint16Array([0x3f80, 0x4000, 0xbf80]).buffer),
      },
      { name: "x", dtype: "float64" as const, shape: [], bytes: () => new Uint8Array(new Float64Array([2.5]).buffer) },
    ];
    await writeSafetensors(path, tensors);
    expect(encodeSafetensorsHeader(tensors).length % 8).toBe(0);
    const checkpoint = await openSafetensors(path);
    expect(Array.from(await checkpoint.readFloat32("w"))).toEqual([1, 2, -1]);
    expect(Array.from(await checkpoint.readFloat32("x"))).toEqual([2.5]);
    expect(checkpoint.info("x")?.shape).toEqual([]);
    await checkpoint.close();
  });

  const refusals: [string, () => string, RegExp][] = [
    [
      "a header length over the format's 100 MB cap",
      () => handWritten("{}", new Uint8Array(), 2n ** 40n),
      /at most 100000000/,
    ],
    ["a header longer than the file", () => handWritten("{}", new Uint8Array(), 500n), /only 2 after the length/],
    ["a header that is not JSON", () => handWritten("{nope"), /not JSON/],
    ["a header that is a list", () => handWritten("[]"), /JSON object/],
    [
      "offsets past the end of the file",
      () => handWritten(JSON.stringify({ t: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }), new Uint8Array(8)),
      /\(t\): data_offsets \[0, 16\] run past the end/,
    ],
    [
      "offsets that disagree with the shape",
      () => handWritten(JSON.stringify({ t: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }), new Uint8Array(8)),
      /span 8 bytes but shape \[3\] of float32 needs 12/,
    ],
    [
      "reversed offsets",
      () => handWritten(JSON.stringify({ t: { dtype: "F32", shape: [0], data_offsets: [4, 0] } }), new Uint8Array(8)),
      /begin ≤ end/,
    ],
    [
      "an unknown dtype",
      () =>
        handWritten(JSON.stringify({ t: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }), new Uint8Array(1)),
      /\(t\): unsupported dtype "F8_E4M3"/,
    ],
    [
      "metadata that is not a string map",
      () => handWritten(JSON.stringify({ __metadata__: { n: 1 } })),
      /__metadata__ must map names to strings/,
    ],
    [
      "a negative dimension",
      () => handWritten(JSON.stringify({ t: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } })),
      /non-negative integers/,
    ],
  ];
  for (const [what, make, message] of refusals) {
    it(`refuses ${what} with a CheckpointError`, async () => {
      const attempt = openSafetensors(make());
      await expect(attempt).rejects.toBeInstanceOf(CheckpointError);
      await expect(openSafetensors(make())).rejects.toThrow(message);
    });
  }

  it("refuses a file of fewer than 8 bytes", async () => {
    const path = pathFor();
    writeFileSync(path, Buffer.from([1, 2, 3]));
    await expect(openSafetensors(path)).rejects.toThrow(/8-byte header length; it has 3 bytes/);
  });

  it("reads the diffusers fixture's VAE header (written by the safetensors library)", async () => {
    const path = resolve(
      import.meta.dirname,
      "../../../../../shared/fixtures/blip-diffusion-tiny/vae/diffusion_pytorch_model.safetensors",
    );
    if (!existsSync(path))
      throw new Error(`missing fixture ${path}: the shared fixtures must sit beside the repository`);
    const checkpoint = await openSafetensors(path);
    expect(checkpoint.info("decoder.conv_in.weight")).toEqual({
      name: "decoder.conv_in.weight",
      dtype: "float32",
      shape: [16, 4, 3, 3],
    });
    const bias = await checkpoint.readFloat32("decoder.conv_in.bias");
    expect(bias.length).toBe(16);
    expect(bias.every(Number.isFinite)).toBe(true);
    await checkpoint.close();
  });
});

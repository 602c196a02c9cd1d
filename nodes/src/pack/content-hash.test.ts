import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPack } from "./loader.ts";
import { ensureTinyPack } from "./tiny/index.ts";

/** docs/model-pack.md "Pack content hash", written out from the text rather than from content-hash.ts. */
function hashAsSpecified(dir: string, files: string[]): string {
  const lines = [...files]
    .sort()
    .map(
      (file) =>
        `${file}\0${createHash("sha256")
          .update(readFileSync(join(dir, file)))
          .digest("hex")}\n`,
    )
    .join("");
  return `sha256:${createHash("sha256").update(lines, "utf8").digest("hex")}`;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("the pack content hash", () => {
  it("is sha256 over '<path>\\0<file sha256>\\n' for the manifest, graphs and tokenizer files, sorted by path", async () => {
    const tiny = await ensureTinyPack();
    const pack = await loadPack(tiny);
    const files = [
      "manifest.json",
      "qformer.onnx",
      "text_encoder.onnx",
      "unet.onnx",
      "vae_decoder.onnx",
      "vae_encoder.onnx",
      "controlnet/canny.onnx",
      "tokenizer/vocab.json",
      "tokenizer/merges.txt",
      "tokenizer/tokenizer_config.json",
      "tokenizer/special_tokens_map.json",
      "qformer_tokenizer/vocab.txt",
      "qformer_tokenizer/tokenizer_config.json",
    ];
    expect(pack.hash).toBe(hashAsSpecified(tiny, files));
  });

  it("ignores files the contract does not name", async () => {
    const tiny = await ensureTinyPack();
    const copy = await mkdtemp(join(tmpdir(), "infix-hash-"));
    dirs.push(copy);
    await cp(tiny, copy, { recursive: true });
    await writeFile(join(copy, "README.md"), "notes");
    await writeFile(join(copy, "tokenizer", "tokenizer.json.bak"), "{}");
    expect((await loadPack(copy)).hash).toBe((await loadPack(tiny)).hash);
  });
});

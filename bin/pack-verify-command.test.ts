import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { stubManifest, writeStubPack } from "../nodes/src/pack/testing/stub-pack.ts";
import { packFolderOf } from "./pack-verify-command.ts";

const launcher = fileURLToPath(new URL("./infix.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "infix-verify-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [launcher, "pack", "verify", ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

describe("infix pack verify", () => {
  it("exits 0 with a line per graph for the embedded tiny pack", async () => {
    const { code, stdout } = await run(["tiny"]);
    expect(stdout).toMatch(/^ {2}ok {6}unet +\d+ ms {2}out_sample \[1,4,6,6\]/m);
    expect(stdout).toMatch(/verified: every graph ran/);
    expect(code).toBe(0);
  });

  it("exits 1 and names the problem for a broken pack", async () => {
    const models = join(dir, "models");
    await writeStubPack(join(models, "broken"), stubManifest(), { omit: ["vae_decoder.onnx"] });
    const { code, stdout } = await run(["broken", "--models", models]);
    expect(stdout).toMatch(/contract checks FAILED:\n {4}- .*vae_decoder\.onnx: missing/);
    expect(code).toBe(1);
  });

  it("verifies a diffusers folder's import, importing it beside the folder as the studio does", async () => {
    const fixture = fileURLToPath(new URL("../../shared/fixtures/blip-diffusion-tiny", import.meta.url));
    if (!existsSync(fixture))
      throw new Error(`missing fixture ${fixture}: ../shared/fixtures must sit beside the repository`);
    const models = join(dir, "diffusers-models");
    cpSync(fixture, join(models, "blip"), { recursive: true });
    const { code, stdout, stderr } = await run(["blip", "--models", models]);
    expect(stderr).toMatch(/blip is a diffusers folder; verifying its import/);
    expect(stdout).toMatch(/^pack .*\.imported[/\\]blip-[0-9a-f]{16} /m);
    expect(stdout).toMatch(/^ {2}ok {6}controlnet\/canny /m);
    expect(code).toBe(0);
  });

  it("finds a pack by folder, by name under the models folder, or tiny", () => {
    expect(packFolderOf(dir, undefined)).toBe(dir);
    expect(packFolderOf("tiny", undefined)).toBe("tiny");
    expect(() => packFolderOf("nope", dir)).toThrow(/no pack folder "nope" \(nor .*nope\)/);
  });
});

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { PackRegistry } from "../nodes/src/pack/registry.ts";
import { startFakeHub } from "./hub/fake-hub.ts";
import { QFORMER_VOCAB_REPO } from "./hub/pull-pack.ts";
import { parseHubControlnet, renderDownloadLine } from "./pack-pull-command.ts";

const launcher = fileURLToPath(new URL("./infix.mjs", import.meta.url));
const fixture = fileURLToPath(new URL("../../shared/fixtures/blip-diffusion-tiny", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "infix-pull-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("--controlnet <hub-id>[:name]", () => {
  it("collects repeated options with optional names", () => {
    expect(parseHubControlnet("b/c:edges", parseHubControlnet("lllyasviel/sd-controlnet-canny"))).toEqual([
      { repo: "lllyasviel/sd-controlnet-canny" },
      { repo: "b/c", name: "edges" },
    ]);
  });
  it("refuses what is not a hub id", () => {
    expect(() => parseHubControlnet("../x")).toThrow(/expected <owner\/name>\[:name\]/);
    expect(() => parseHubControlnet("a/b:c:d")).toThrow(/expected/);
  });
});

describe("the download progress line", () => {
  it("shows the share done, the bytes and the file", () => {
    expect(renderDownloadLine({ file: "unet/x.safetensors", doneBytes: 1.21e9, totalBytes: 4.8e9 }, 8)).toBe(
      "[##------]  1.21 GB / 4.80 GB  unet/x.safetensors",
    );
    expect(renderDownloadLine({ file: "a", doneBytes: 0, totalBytes: 0 }, 4)).toBe("[####]  0 kB / 0 kB  a");
  });
});

describe("infix pack pull", () => {
  it("downloads from HF_ENDPOINT with HF_TOKEN and imports a pack the studio can list", async () => {
    if (!existsSync(fixture))
      throw new Error(`missing fixture ${fixture}: ../shared/fixtures must sit beside the repository`);
    const pipeline = join(dir, "hub", "pipeline");
    await cp(fixture, pipeline, { recursive: true });
    await rm(join(pipeline, "controlnet-canny"), { recursive: true });
    await rm(join(pipeline, "qformer_tokenizer"), { recursive: true });
    const bert = join(dir, "hub", "bert");
    await mkdir(bert, { recursive: true });
    await cp(join(fixture, "qformer_tokenizer", "vocab.txt"), join(bert, "vocab.txt"));
    await writeFile(join(bert, "tokenizer_config.json"), JSON.stringify({ do_lower_case: true }));
    const hub = await startFakeHub(
      new Map([
        ["Salesforce/blipdiffusion", pipeline],
        ["lllyasviel/sd-controlnet-canny", join(fixture, "controlnet-canny")],
        [QFORMER_VOCAB_REPO, bert],
      ]),
    );
    try {
      const models = join(dir, "models");
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [
          launcher,
          "pack",
          "pull",
          "Salesforce/blipdiffusion",
          "--controlnet",
          "lllyasviel/sd-controlnet-canny",
          "--models",
          models,
        ],
        { env: { ...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: "hf_cli_test", INFIX_MODELS: "" } },
      );
      const packDir = stdout.trim();
      expect(packDir).toMatch(/\.imported[/\\]blipdiffusion-[0-9a-f]{16}$/);
      const manifest = JSON.parse(readFileSync(join(packDir, "manifest.json"), "utf8")) as {
        controlnets: { name: string }[];
      };
      expect(manifest.controlnets.map((c) => c.name)).toEqual(["canny"]);
      expect(existsSync(join(models, "blipdiffusion", "qformer_tokenizer", "vocab.txt"))).toBe(true);
      expect(stderr).toMatch(/\[#{20}\]/);
      expect(stderr).toMatch(/unet done/);
      // The studio finds the pulled folder already imported: listed under its name, ready, not re-imported.
      const listed = await new PackRegistry({ modelsDir: models, tinyPackDir: false }).list();
      expect(listed).toEqual([expect.objectContaining({ id: "blipdiffusion", controlnets: ["canny"] })]);
      expect(listed[0].error).toBeUndefined();
      expect(listed[0].needsImport).toBeUndefined();
      expect(hub.requests.length).toBeGreaterThan(0);
      expect(hub.requests.every((r) => r.authorization === "Bearer hf_cli_test")).toBe(true);
    } finally {
      await hub.close();
    }
  });
});

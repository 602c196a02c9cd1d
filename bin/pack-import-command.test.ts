import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { defaultPackFolder, formatImportProgress, parseControlnetOption } from "./pack-import-command.ts";

const launcher = fileURLToPath(new URL("./infix.mjs", import.meta.url));
const fixture = fileURLToPath(new URL("../../shared/fixtures/blip-diffusion-tiny", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "infix-pack-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("--controlnet <folder>[:name]", () => {
  it("splits a trailing :name off and collects repeated options in order", () => {
    const first = parseControlnetOption("downloads/sd-controlnet-canny:edges");
    expect(parseControlnetOption("other", first)).toEqual([
      { folder: "downloads/sd-controlnet-canny", name: "edges" },
      { folder: "other" },
    ]);
  });

  it("keeps a folder whose own name contains a colon whole", () => {
    const odd = join(dir, "weird:name");
    mkdirSync(odd);
    expect(parseControlnetOption(odd)).toEqual([{ folder: odd }]);
  });
});

describe("pack import helpers", () => {
  it("puts the pack under the models folder by the source folder's name", () => {
    expect(defaultPackFolder("/downloads/blipdiffusion/", "/m")).toBe("/m/blipdiffusion");
  });

  it("prints one line per component as it starts and ends", () => {
    expect(formatImportProgress({ component: "unet", index: 2, total: 7, state: "started" }, 0)).toBe("[3/7] unet…");
    expect(formatImportProgress({ component: "unet", index: 2, total: 7, state: "finished" }, 1.234)).toBe(
      "[3/7] unet done (1.23 s)",
    );
  });
});

describe("infix pack import", () => {
  it("imports the diffusers fixture with its ControlNet into <models>/<name>, with per-component progress", async () => {
    if (!existsSync(fixture))
      throw new Error(`missing fixture ${fixture}: ../shared/fixtures must sit beside the repository`);
    const models = join(dir, "models");
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [
        launcher,
        "pack",
        "import",
        fixture,
        "--controlnet",
        `${join(fixture, "controlnet-canny")}:canny`,
        "--models",
        models,
      ],
      { cwd: dir, timeout: 90_000 },
    );
    expect(stderr).toContain("[3/7] unet done");
    expect(stdout).toMatch(/imported blip-diffusion-tiny into .*blip-diffusion-tiny in \d+\.\d\d s/);
    const manifest = JSON.parse(readFileSync(join(models, "blip-diffusion-tiny", "manifest.json"), "utf8")) as {
      controlnets: { name: string }[];
    };
    expect(manifest.controlnets.map((c) => c.name)).toEqual(["canny"]);
    expect(readdirSync(models)).toEqual(["blip-diffusion-tiny"]);
  }, 120_000);

  it("refuses --precision with another value, naming the choices", async () => {
    const run = promisify(execFile)(process.execPath, [launcher, "pack", "import", fixture, "--precision", "int8"], {
      cwd: dir,
      timeout: 60_000,
    });
    await expect(run).rejects.toMatchObject({ stderr: expect.stringContaining("precision is fp32 or fp16") });
  }, 90_000);
});

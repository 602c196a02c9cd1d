import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ensureFolderInside,
  openInside,
  readInside,
  resolveInsideSync,
  splitSafeName,
  writeFileInside,
} from "./safe-path.ts";

const base = mkdtempSync(join(tmpdir(), "infix-safe-"));
const root = join(base, "input");
mkdirSync(join(root, "sub"), { recursive: true });
writeFileSync(join(root, "sub", "cat.png"), "x");
writeFileSync(join(base, "secret.txt"), "secret");
symlinkSync(join(base, "secret.txt"), join(root, "escape.txt"));
symlinkSync(base, join(root, "outdir"));
symlinkSync(join(root, "sub", "cat.png"), join(root, "alias.png"));
linkSync(join(base, "secret.txt"), join(root, "hard.txt"));
/** Flips <served>/flip between the real folder and a symlink to <outside>, 200,000 times at most. */
const FLIPPER = `
const fs = require("node:fs"); const path = require("node:path");
const [served, outside] = process.argv.slice(1);
const flip = path.join(served, "flip"); const real = path.join(served, "..", "real-flip");
for (let i = 0; i < 200000; i++) {
  fs.renameSync(flip, real); fs.symlinkSync(outside, flip);
  fs.unlinkSync(flip); fs.renameSync(real, flip);
}`;

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("splitSafeName", () => {
  it("keeps ordinary nested names and drops '.' segments", () => {
    expect(splitSafeName("sub/./cat.png")).toEqual({ ok: true, segments: ["sub", "cat.png"] });
  });
  it.each(["../secret.txt", "sub/../../secret.txt", "/etc/passwd", "C:/x", "a\\b", "a\0b", "", ".."])(
    "refuses %j",
    (name) => {
      expect(splitSafeName(name).ok).toBe(false);
    },
  );
});

describe("openInside and readInside", () => {
  it("read a file inside the folder", async () => {
    const read = await readInside(root, "sub/cat.png");
    expect(read.ok && new TextDecoder().decode(read.bytes)).toBe("x");
  });
  it.each(["escape.txt", "outdir/secret.txt", "alias.png", "hard.txt"])(
    "refuse %s (a symlink to a file or folder, even one inside, or a hard link)",
    async (name) => {
      expect(await readInside(root, name)).toMatchObject({ ok: false, reason: "outside" });
    },
  );
  it("refuse '..' lexically, report missing files as missing and folders as not files", async () => {
    expect(await openInside(root, "../secret.txt")).toMatchObject({ ok: false, reason: "outside" });
    expect(await openInside(root, "nope.png")).toMatchObject({ ok: false, reason: "missing" });
    expect(await openInside(root, "sub")).toMatchObject({ ok: false, reason: "not_file" });
  });
  it("refuse reading over a byte budget", async () => {
    expect(await readInside(root, "sub/cat.png", 0)).toMatchObject({ ok: false, reason: "invalid" });
  });
  it("never open the outside file while a folder flips between a real folder and a symlink", async () => {
    // The race of issue 14: check-then-open served the outside file ~25 times in 720 requests.
    const race = mkdtempSync(join(tmpdir(), "infix-race-"));
    const served = join(race, "input");
    const outside = join(race, "outside");
    mkdirSync(join(served, "flip"), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(served, "flip", "file.txt"), "inside");
    writeFileSync(join(outside, "file.txt"), "OUTSIDE");
    // The flipper runs in its own process, so flips land at any point of a read, as an attacker's would.
    const flipper = spawn(process.execPath, ["-e", FLIPPER, served, outside], { stdio: "ignore" });
    let escapes = 0;
    let inside = 0;
    let refused = 0;
    try {
      for (let i = 0; i < 3000; i++) {
        const read = await readInside(served, "flip/file.txt");
        if (read.ok) {
          const text = new TextDecoder().decode(read.bytes);
          if (text === "OUTSIDE") escapes++;
          else inside++;
        } else refused++;
      }
    } finally {
      flipper.kill();
      await new Promise((resolve) => (flipper.exitCode !== null ? resolve(null) : flipper.once("exit", resolve)));
      rmSync(race, { recursive: true, force: true });
    }
    expect(escapes).toBe(0);
    expect(inside).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

describe("resolveInsideSync", () => {
  it("accepts a file that does not exist yet inside a real sub-folder", () => {
    expect(resolveInsideSync(root, "sub/new.png")).toEqual({ ok: true, path: join(root, "sub", "new.png") });
  });
  it("refuses names through a symlinked folder, symlinked files and hard links", () => {
    expect(resolveInsideSync(root, "outdir/new.png")).toMatchObject({ ok: false, reason: "outside" });
    expect(resolveInsideSync(root, "escape.txt")).toMatchObject({ ok: false, reason: "outside" });
    expect(resolveInsideSync(root, "hard.txt")).toMatchObject({ ok: false, reason: "outside" });
  });
});

describe("writing never goes through a link", () => {
  it("ensureFolderInside refuses a symlinked folder and creates real ones", async () => {
    expect(await ensureFolderInside(root, "outdir/deeper")).toMatchObject({ ok: false, reason: "outside" });
    expect(await ensureFolderInside(root, "made/deeper")).toEqual({ ok: true, path: join(root, "made", "deeper") });
  });
  it("writeFileInside replaces a symlink at the name instead of writing to its target", async () => {
    const target = join(base, "victim.txt");
    writeFileSync(target, "keep me");
    symlinkSync(target, join(root, "digests.json"));
    await writeFileInside(root, "digests.json", "{}");
    expect(readFileSync(target, "utf8")).toBe("keep me");
    expect(readFileSync(join(root, "digests.json"), "utf8")).toBe("{}");
    await expect(writeFileInside(root, "outdir/x.png", "y")).rejects.toThrow(/symbolic link/);
  });
});

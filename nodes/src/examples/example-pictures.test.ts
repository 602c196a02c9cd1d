import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { lstat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeExamplePictures } from "../../../examples/draw-subjects.ts";

let base: string;
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe("writeExamplePictures at start", () => {
  it("replaces a symlink placed at a picture's name instead of overwriting its target", async () => {
    base = mkdtempSync(join(tmpdir(), "infix-pictures-"));
    const victim = join(base, "victim.txt");
    writeFileSync(victim, "keep me");
    mkdirSync(join(base, "input", "examples"), { recursive: true });
    symlinkSync(victim, join(base, "input", "examples", "dog.png"));
    await writeExamplePictures(join(base, "input", "examples"), 8);
    expect(readFileSync(victim, "utf8")).toBe("keep me");
    expect((await lstat(join(base, "input", "examples", "dog.png"))).isFile()).toBe(true);
  });

  it("refuses to write into an examples folder that is a symlink", async () => {
    base = mkdtempSync(join(tmpdir(), "infix-pictures-"));
    mkdirSync(join(base, "elsewhere"));
    mkdirSync(join(base, "input"));
    symlinkSync(join(base, "elsewhere"), join(base, "input", "examples"));
    await expect(writeExamplePictures(join(base, "input", "examples"), 8)).rejects.toThrow(/symbolic link/);
    expect(() => readFileSync(join(base, "elsewhere", "dog.png"))).toThrow();
  });
});

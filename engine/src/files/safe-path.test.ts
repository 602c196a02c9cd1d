import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveExistingInside, resolveInsideSync, splitSafeName } from "./safe-path.ts";

const base = mkdtempSync(join(tmpdir(), "infix-safe-"));
const root = join(base, "input");
mkdirSync(join(root, "sub"), { recursive: true });
writeFileSync(join(root, "sub", "cat.png"), "x");
writeFileSync(join(base, "secret.txt"), "secret");
symlinkSync(join(base, "secret.txt"), join(root, "escape.txt"));
symlinkSync(base, join(root, "outdir"));
symlinkSync(join(root, "sub", "cat.png"), join(root, "alias.png"));
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

describe("resolveExistingInside", () => {
  it("resolves a file inside the folder", async () => {
    expect(await resolveExistingInside(root, "sub/cat.png")).toEqual({ ok: true, path: join(root, "sub", "cat.png") });
  });
  it("follows a symlink that stays inside", async () => {
    expect(await resolveExistingInside(root, "alias.png")).toEqual({ ok: true, path: join(root, "sub", "cat.png") });
  });
  it("refuses a symlink to a file outside, and a path through a symlinked folder outside", async () => {
    expect(await resolveExistingInside(root, "escape.txt")).toMatchObject({ ok: false, reason: "outside" });
    expect(await resolveExistingInside(root, "outdir/secret.txt")).toMatchObject({ ok: false, reason: "outside" });
  });
  it("refuses '..' lexically and reports missing files as missing", async () => {
    expect(await resolveExistingInside(root, "../secret.txt")).toMatchObject({ ok: false, reason: "outside" });
    expect(await resolveExistingInside(root, "nope.png")).toMatchObject({ ok: false, reason: "missing" });
  });
});

describe("resolveInsideSync", () => {
  it("accepts a file that does not exist yet inside a real sub-folder", () => {
    expect(resolveInsideSync(root, "sub/new.png")).toEqual({ ok: true, path: join(root, "sub", "new.png") });
  });
  it("refuses a not-yet-existing name under a symlinked folder that points outside", () => {
    expect(resolveInsideSync(root, "outdir/new.png")).toMatchObject({ ok: false, reason: "outside" });
  });
});

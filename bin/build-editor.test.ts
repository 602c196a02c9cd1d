import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildEditorIfStale, editorBuildReason } from "./build-editor.ts";

const root = mkdtempSync(join(tmpdir(), "infix-editor-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function touch(path: string, seconds: number) {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "x");
  utimesSync(path, seconds, seconds);
}

describe("editorBuildReason", () => {
  it("asks for a build when dist is missing, or older than any source, and not otherwise", async () => {
    touch(join(root, "editor", "src", "main.tsx"), 1000);
    expect(await editorBuildReason(root)).toBe("editor/dist is missing");
    touch(join(root, "editor", "dist", "index.html"), 2000);
    expect(await editorBuildReason(root)).toBeNull();
    touch(join(root, "editor", "src", "panels", "queue.tsx"), 3000);
    expect(await editorBuildReason(root)).toMatch(/changed/);
  });

  it("skips with a message when there is no vite config", async () => {
    const lines: string[] = [];
    await buildEditorIfStale(root, (line) => lines.push(line));
    expect(lines).toEqual(["editor: no editor/vite.config.ts yet, skipping the build"]);
  });
});

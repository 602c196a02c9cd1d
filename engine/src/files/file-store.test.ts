import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InfixError } from "../graph/problem.ts";
import { FileStore, safeFileName, uniqueNameExtension } from "./file-store.ts";

const base = mkdtempSync(join(tmpdir(), "infix-store-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("safeFileName", () => {
  it("replaces odd characters and strips leading dots from each part", () => {
    expect(safeFileName("../my cat?.png")).toBe("my_cat_.png");
    expect(safeFileName("runs/.hidden/ä.png")).toBe("runs/hidden/_.png");
    expect(safeFileName("...")).toBe("file");
  });
});

describe("FileStore", () => {
  it("writes non-clashing names and reads them back", async () => {
    const store = await FileStore.open(FileStore.foldersUnder(join(base, "a")));
    const first = await store.writeUnique("output", "img.png", new Uint8Array([1]));
    const second = await store.writeUnique("output", "img.png", new Uint8Array([2]));
    const nested = await store.writeUnique("output", "run/img.png", new Uint8Array([3]));
    expect([first.name, second.name, nested.name]).toEqual(["img.png", "img_1.png", "run/img.png"]);
    const opened = await store.openExisting("output", "img_1.png");
    if (!opened.ok) throw new Error(opened.message);
    expect([...readFileSync(opened.file.path)]).toEqual([2]);
    await opened.file.handle.close();
  });

  it("puts the counter before a type tag that .json or .gz wraps, and before the last extension otherwise", async () => {
    const store = await FileStore.open(FileStore.foldersUnder(join(base, "d")));
    const names: string[] = [];
    for (const name of [
      "dog.note.json",
      "dog.note.json",
      "a.tar.gz",
      "a.tar.gz",
      "my.cat.png",
      "my.cat.png",
      "v.2.json",
      "v.2.json",
    ]) {
      names.push((await store.writeUnique("output", name, new Uint8Array([1]))).name);
    }
    expect(names).toEqual([
      "dog.note.json",
      "dog_1.note.json",
      "a.tar.gz",
      "a_1.tar.gz",
      "my.cat.png",
      "my.cat_1.png",
      "v.2.json",
      "v.2_1.json",
    ]);
    expect(uniqueNameExtension("run/x.note.json")).toBe(".note.json");
    expect(uniqueNameExtension("notes.json")).toBe(".json");
  });

  it("puts the counter before a kept suffix of several parts, matched whatever its case", async () => {
    const store = await FileStore.open(FileStore.foldersUnder(join(base, "e")));
    const names: string[] = [];
    for (const name of ["list.note.txt", "list.note.txt", "Big.NOTE.TXT", "Big.NOTE.TXT", "other.txt", "other.txt"]) {
      names.push((await store.writeUnique("input", name, new Uint8Array([1]), ".note.txt")).name);
    }
    expect(names).toEqual([
      "list.note.txt",
      "list_1.note.txt",
      "Big.NOTE.TXT",
      "Big_1.NOTE.TXT",
      "other.txt",
      "other_1.txt",
    ]);
  });

  it("gives nodes a FileAccess that refuses escapes", async () => {
    const store = await FileStore.open(FileStore.foldersUnder(join(base, "b")));
    const files = store.access();
    expect(files.resolveInput("cat.png")).toBe(join(base, "b", "input", "cat.png"));
    expect(() => files.resolveInput("../output/x.png")).toThrow(InfixError);
    expect(() => files.resolveOutput("/etc/passwd")).toThrow(/absolute/);
    const ref = await files.writeOutput("preview.png", new Uint8Array([9]), "temp");
    expect(ref).toEqual({ folder: "temp", name: "preview.png" });
  });

  it("refuses to write through a symlinked sub-folder that leads outside", async () => {
    const store = await FileStore.open(FileStore.foldersUnder(join(base, "c")));
    symlinkSync(base, join(base, "c", "output", "out"));
    await expect(store.writeUnique("output", "out/x.png", new Uint8Array([1]))).rejects.toThrow(/outside/);
  });
});

import { describe, expect, it } from "vitest";
import { defaultDataDir } from "./data-folder.ts";

describe("defaultDataDir", () => {
  it("takes INFIX_DATA first, resolved against the current folder", () => {
    expect(defaultDataDir({ INFIX_DATA: "/srv/infix", XDG_DATA_HOME: "/x" }, "linux", "/home/ada")).toBe("/srv/infix");
    expect(defaultDataDir({ INFIX_DATA: "rel" }, "linux", "/home/ada")).toBe(`${process.cwd()}/rel`);
  });
  it("uses the platform's per-user data folder, never the current folder", () => {
    expect(defaultDataDir({}, "linux", "/home/ada")).toBe("/home/ada/.local/share/infix");
    expect(defaultDataDir({ XDG_DATA_HOME: "/data/ada" }, "linux", "/home/ada")).toBe("/data/ada/infix");
    expect(defaultDataDir({}, "darwin", "/Users/ada")).toBe("/Users/ada/Library/Application Support/infix");
  });
});

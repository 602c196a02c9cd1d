import { describe, expect, it } from "vitest";
import { toProblem, withoutAbsolutePaths } from "./problem.ts";

describe("withoutAbsolutePaths", () => {
  it.each([
    [
      "ENOENT: no such file or directory, open '/srv/infix/input/cat.png'",
      "ENOENT: no such file or directory, open 'cat.png'",
    ],
    ["/home/me/models/tiny/unet.onnx: bad shape", "unet.onnx: bad shape"],
    ["path=/tmp/x/y.json failed", "path=y.json failed"],
    ["see http://localhost:8188/api/files/a.png", "see http://localhost:8188/api/files/a.png"],
    ["ratio 1/2 and a/b stay", "ratio 1/2 and a/b stay"],
  ])("%s", (message, expected) => {
    expect(withoutAbsolutePaths(message)).toBe(expected);
  });
  it("is applied to foreign errors by toProblem, not to structured ones", () => {
    expect(toProblem(new Error("open '/data/input/x.png'"), "3")).toEqual({
      code: "node_error",
      message: "open 'x.png'",
      nodeId: "3",
    });
  });
});

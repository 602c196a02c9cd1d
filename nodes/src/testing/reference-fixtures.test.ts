import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES_DIR, loadDiffusersCase, loadTensorStore, requireFixture } from "./reference-fixtures.ts";

describe("reference fixtures", () => {
  it("fail with what to do when a fixture is missing, never skip", () => {
    const missing = join(FIXTURES_DIR, "no-such-case");
    expect(() => requireFixture(missing)).toThrow(`Reference fixtures missing: ${missing}`);
    expect(() => loadTensorStore(missing)).toThrow("../shared/fixtures beside the repository");
    expect(() => loadDiffusersCase("no_such_case")).toThrow("reference/index.json has no case no_such_case");
  });

  it("read a recorded case's tensors with their shapes", () => {
    const reference = loadDiffusersCase("cat_g7.5_s5_neg");
    const image = reference.tensors.floatTensor("image");
    expect(image.dims).toEqual([1, reference.info.height, reference.info.width, 3]);
    expect(image.data.length).toBe(reference.info.height * reference.info.width * 3);
    expect(() => reference.tensors.float("nothing")).toThrow('has no tensor "nothing"');
  });
});

import { describe, expect, it } from "vitest";
import { buildSubjectPrompt } from "./subject-prompt.ts";

describe("buildSubjectPrompt", () => {
  it("repeats 'a {target} {prompt}' prompt_reps times joined by ', ' at strength 1", () => {
    const text = buildSubjectPrompt("dog", "swimming underwater", 1, 3);
    expect(text).toBe("a dog swimming underwater, a dog swimming underwater, a dog swimming underwater");
  });

  it("strips the user's prompt but not the category", () => {
    expect(buildSubjectPrompt("red kettle", "  on a table \n", 1, 1)).toBe("a red kettle on a table");
  });

  it("truncates strength times reps toward zero like Python's int()", () => {
    expect(buildSubjectPrompt("cat", "x", 0.26, 10).split(", ")).toHaveLength(2);
    expect(buildSubjectPrompt("cat", "x", 0.09, 10)).toBe("");
  });

  it("uses diffusers' defaults of strength 1 and 20 repetitions", () => {
    expect(buildSubjectPrompt("cat", "sleeping").split(", ")).toHaveLength(20);
  });
});

import { InfixError } from "@infix/engine";
import { describe, expect, it } from "vitest";
import { intInput, numberInput, stringInput, taggedInput } from "./inputs.ts";

function problemOf(read: () => unknown) {
  try {
    read();
  } catch (error) {
    if (error instanceof InfixError) return error.problem;
    throw error;
  }
  throw new Error("expected an InfixError");
}

describe("node input readers", () => {
  it("read well-typed values as they are", () => {
    expect(intInput({ steps: 25 }, "steps", 1)).toBe(25);
    expect(numberInput({ cfg: 7.5 }, "cfg")).toBe(7.5);
    expect(stringInput({ prompt: "a dog" }, "prompt", { nonEmpty: true })).toBe("a dog");
  });

  it("say which input, what was expected and what came", () => {
    expect(problemOf(() => intInput({ steps: 0 }, "steps", 1))).toMatchObject({
      code: "invalid_input",
      input: "steps",
      expected: "an integer of at least 1",
      found: "0",
    });
    // Without a lower bound the expectation is just an integer, not "integer >= -Infinity".
    expect(problemOf(() => intInput({ seed: 1.5 }, "seed"))).toMatchObject({ expected: "an integer", found: "1.5" });
    expect(problemOf(() => numberInput({ cfg: Number.NaN }, "cfg"))).toMatchObject({ input: "cfg", found: "number" });
    expect(problemOf(() => stringInput({ prompt: "  " }, "prompt", { nonEmpty: true }))).toMatchObject({
      found: "empty text",
    });
    expect(problemOf(() => taggedInput({ latent: { type: "IMAGE" } }, "latent", "LATENT"))).toMatchObject({
      expected: "LATENT",
      found: "IMAGE",
    });
  });
});

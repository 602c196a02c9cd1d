import { describe, expect, it } from "vitest";
import { closestName, didYouMean } from "./suggest.ts";

describe("closestName", () => {
  const types = ["Sampler", "VAEDecode", "VAEEncode", "LoadImage", "SaveImage"];
  it("finds the name a typo or a case slip meant", () => {
    expect(closestName("Samplr", types)).toBe("Sampler");
    expect(closestName("sampler", types)).toBe("Sampler");
    expect(closestName("vaedecod", types)).toBe("VAEDecode");
  });
  it("suggests nothing for a name unlike any", () => {
    expect(closestName("ControlNetApply", types)).toBeUndefined();
    expect(closestName("x", [])).toBeUndefined();
    expect(didYouMean("ControlNetApply", types)).toBe("");
    expect(didYouMean("LoadImg", types)).toBe(" Did you mean 'LoadImage'?");
  });
});

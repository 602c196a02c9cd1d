import { describe, expect, it } from "vitest";
import { emptyWorkflow, withRequirements } from "./workflow.ts";

describe("withRequirements", () => {
  it("replaces the requirements of one kind and keeps the others in order", () => {
    const workflow = {
      ...emptyWorkflow(),
      requires: [
        { kind: "font", id: "serif" },
        { kind: "model-pack", id: "old" },
      ],
    };
    const updated = withRequirements(workflow, "model-pack", [{ kind: "model-pack", id: "tiny", hash: "sha256:ab" }]);
    expect(updated.requires).toEqual([
      { kind: "font", id: "serif" },
      { kind: "model-pack", id: "tiny", hash: "sha256:ab" },
    ]);
    expect(workflow.requires).toHaveLength(2); // the input is left as it was
  });
});

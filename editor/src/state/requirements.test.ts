import { describe, expect, it } from "vitest";
import { emptyWorkflow, type Requirement } from "@infix/graph";
import type { NodePackageInfo } from "@infix/protocol";
import { missingRequirements } from "./requirements.ts";

const packages: NodePackageInfo[] = [
  {
    name: "blip-diffusion",
    kinds: [{ kind: "model-pack", title: "model pack", help: "Run `infix pack pull x`." }],
    resources: [{ kind: "model-pack", id: "tiny", title: "BLIP-Diffusion (tiny)", details: {} }],
    notices: [],
  },
];
const requiring = (requires: Requirement[]) => ({ ...emptyWorkflow(), requires });

describe("missingRequirements", () => {
  it("names what the server lacks, one sentence per kind, with the kind's help", () => {
    const workflow = requiring([
      { kind: "model-pack", id: "tiny" },
      { kind: "model-pack", id: "real" },
      { kind: "model-pack", id: "huge" },
      { kind: "font", id: "serif" },
    ]);
    expect(missingRequirements(workflow, packages)).toEqual([
      "Missing model pack(s): real, huge. Run `infix pack pull x`.",
      "Missing font(s): serif.",
    ]);
  });

  it("matches a resource by id or title, within its kind only", () => {
    expect(missingRequirements(requiring([{ kind: "model-pack", id: "BLIP-Diffusion (tiny)" }]), packages)).toEqual([]);
    expect(missingRequirements(requiring([{ kind: "font", id: "tiny" }]), packages)).toEqual([
      "Missing font(s): tiny.",
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { link, testCatalog, workflowOf } from "./fixtures/catalog.ts";
import { canLink, dependsOn } from "./link-rules.ts";
import { schemaLookup } from "./plan.ts";

const lookup = schemaLookup(testCatalog);
const chain = () =>
  workflowOf({
    a: { type: "AddInts" },
    b: { type: "AddInts", inputs: { a: link("a", "sum") } },
    c: { type: "AddInts", inputs: { a: link("b", "sum") } },
    img: { type: "MakeImage" },
    save: { type: "SaveImage" },
  });

describe("canLink", () => {
  it("allows a link of matching types that makes no cycle", () => {
    expect(canLink(chain(), lookup, "a", "sum", "c", "b")).toEqual({ ok: true });
    expect(canLink(chain(), lookup, "img", "image", "save", "images")).toEqual({ ok: true });
  });

  it("refuses a link that would close a cycle, saying which way it runs", () => {
    expect(canLink(chain(), lookup, "c", "sum", "a", "a")).toEqual({
      ok: false,
      reason: "this link would make a cycle: #c already depends on #a",
    });
  });

  it("refuses a node feeding itself, unknown nodes and socket type mismatches", () => {
    expect(canLink(chain(), lookup, "a", "sum", "a", "b").ok).toBe(false);
    expect(canLink(chain(), lookup, "zz", "sum", "a", "b")).toEqual({ ok: false, reason: "node #zz does not exist" });
    expect(canLink(chain(), lookup, "a", "sum", "save", "images")).toEqual({
      ok: false,
      reason: "INT output 'sum' cannot feed IMAGE input 'images'",
    });
  });
});

describe("dependsOn", () => {
  it("follows links transitively and only upstream", () => {
    expect(dependsOn(chain(), "c", "a")).toBe(true);
    expect(dependsOn(chain(), "a", "c")).toBe(false);
  });
});

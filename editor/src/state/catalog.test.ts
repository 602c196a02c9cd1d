import { describe, expect, it } from "vitest";
import { groupByCategory, indexCatalog, searchNodes, UNKNOWN_SOCKET_COLOR } from "./catalog.ts";
import { testCatalog } from "./test-catalog.ts";

describe("catalog lookups", () => {
  it("finds nodes by every word of the query in title, type or category, title prefixes first", () => {
    expect(searchNodes(testCatalog.nodes, "image").map((n) => n.type)).toEqual(["LoadImage", "SaveImage"]);
    expect(searchNodes(testCatalog.nodes, "io save").map((n) => n.type)).toEqual(["SaveImage"]);
    expect(searchNodes(testCatalog.nodes, "sam").map((n) => n.type)).toEqual(["Sampler"]);
    expect(searchNodes(testCatalog.nodes, "nothing like it")).toEqual([]);
  });

  it("groups by category and colours sockets from the catalog, grey when unlisted", () => {
    expect(groupByCategory(testCatalog.nodes).map(([c]) => c)).toEqual(["image/io", "latent", "sampling"]);
    const index = indexCatalog(testCatalog);
    expect(index.color("LATENT")).toBe("#ff9cf9");
    expect(index.color("MYSTERY")).toBe(UNKNOWN_SOCKET_COLOR);
    expect(index.seedInputs("Sampler")).toEqual(["seed"]);
  });
});

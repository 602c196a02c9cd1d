import sharp from "sharp";
import { describe, expect, it } from "vitest";
import extractChunks from "png-chunks-extract";
import encodeChunks from "png-chunks-encode";
import { emptyWorkflow } from "../graph/workflow.ts";
import { embedWorkflowInPng, readWorkflowFromPng } from "./png-metadata.ts";

const png = new Uint8Array(
  await sharp({ create: { width: 3, height: 2, channels: 3, background: "#f00" } })
    .png()
    .toBuffer(),
);

describe("PNG workflow embedding", () => {
  it("round-trips a workflow with non-Latin-1 text and keeps the picture decodable", async () => {
    const workflow = {
      ...emptyWorkflow(),
      name: "кот 🐱",
      nodes: { a: { type: "Ok", mode: "active" as const, inputs: { text: "ünï" } } },
    };
    const tagged = embedWorkflowInPng(png, workflow);
    expect(readWorkflowFromPng(tagged)).toEqual(workflow);
    const { width, height } = await sharp(tagged).metadata();
    expect([width, height]).toEqual([3, 2]);
    expect(extractChunks(tagged).at(-1)?.name).toBe("IEND");
  });

  it("replaces an earlier embedded workflow instead of adding a second", () => {
    const once = embedWorkflowInPng(png, { ...emptyWorkflow(), name: "one" });
    const twice = embedWorkflowInPng(once, { ...emptyWorkflow(), name: "two" });
    expect(extractChunks(twice).filter((c) => c.name === "tEXt")).toHaveLength(1);
    expect(readWorkflowFromPng(twice)?.name).toBe("two");
  });

  it("reads an uncompressed iTXt chunk", () => {
    const text = new TextEncoder().encode(JSON.stringify({ ...emptyWorkflow(), name: "ß" }));
    const header = new TextEncoder().encode("infix-workflow\0\0\0\0\0");
    const data = new Uint8Array(header.length + text.length);
    data.set(header);
    data.set(text, header.length);
    const chunks = extractChunks(png);
    chunks.splice(chunks.length - 1, 0, { name: "iTXt", data });
    expect(readWorkflowFromPng(encodeChunks(chunks))?.name).toBe("ß");
  });

  it("returns null for a PNG without a workflow, for non-PNG bytes and for invalid embedded JSON", () => {
    expect(readWorkflowFromPng(png)).toBeNull();
    expect(readWorkflowFromPng(new Uint8Array([1, 2, 3]))).toBeNull();
    const bogus = embedWorkflowInPng(png, { ...emptyWorkflow(), version: 7 } as never);
    expect(readWorkflowFromPng(bogus)).toBeNull();
  });
});

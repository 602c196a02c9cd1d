import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { floatTensor } from "@infix/engine";
import { NodeRegistry } from "@infix/engine/testing";
import { nodePackage } from "../index.ts";
import type { SubjectEmbedding } from "../sockets.ts";
import { createTestContext, runNode } from "../testing/test-context.ts";
import { saveSubjectNode } from "./save-subject.ts";
import { subjectUploadKind } from "./subject-upload.ts";

const subject: SubjectEmbedding = {
  type: "SUBJECT",
  embedding: floatTensor([2, 4], Float32Array.from([0.5, -1, 2, 0, 3.25, -0.125, 7, 1e-3])),
  packName: "tiny",
  packHash: "sha256:abc",
  category: "dog",
  sourceHashes: ["sha256:1"],
};

/** The bytes Save Subject writes for `subject`, read back from the output folder. */
async function savedSubjectBytes(): Promise<Buffer> {
  const ctx = createTestContext();
  await runNode(saveSubjectNode, { subject, filename_prefix: "dog" }, ctx);
  const written = (ctx.shown[0].text ?? [])[0].split(" ")[0].replace(/^output\//, "");
  return readFileSync(join(ctx.root, "output", written));
}

describe("the .subject.json upload kind", () => {
  it("is declared by the BLIP-Diffusion package, so the server accepts it", () => {
    expect(new NodeRegistry([nodePackage]).uploadKinds()).toEqual([subjectUploadKind]);
    expect(subjectUploadKind.suffix).toBe(".subject.json");
  });

  it("accepts a file written by Save Subject", async () => {
    expect(subjectUploadKind.check(await savedSubjectBytes())).toBeUndefined();
  });

  it("refuses a broken subject file with the parser's reason", async () => {
    const saved = await savedSubjectBytes();
    const file = JSON.parse(saved.toString("utf8")) as Record<string, unknown>;
    const data = Buffer.from(file.data as string, "base64");
    data[0] ^= 1;
    const edited = Buffer.from(JSON.stringify({ ...file, data: data.toString("base64") }));
    const cases: [Uint8Array, RegExp][] = [
      [saved.subarray(0, saved.length - 10), /^not JSON/],
      [
        Buffer.from(JSON.stringify({ format: "infix-subject", version: 1, category: "dog" })),
        /^not an infix-subject v1 file: pack/,
      ],
      [Buffer.from("[1, 2]"), /^not an infix-subject v1 file: \(root\)/],
      [edited, /^checksum does not match/],
      [Buffer.from(JSON.stringify({ ...file, dims: [3, 4] })), /^holds 8 values but dims \[3,4\] need 12/],
      [new Uint8Array([0x7b, 0xff, 0x7d]), /^it is not UTF-8 text$/],
    ];
    for (const [bytes, reason] of cases) expect(subjectUploadKind.check(bytes)).toMatch(reason);
  });
});

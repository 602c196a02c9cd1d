import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SessionPool } from "@infix/engine/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stubManifest, writeStubPack } from "./testing/stub-pack.ts";
import { ensureTinyPack } from "./tiny/index.ts";
import { formatVerifyReport, verifyPack } from "./verify.ts";

let root: string;
let tiny: string;
const pool = new SessionPool();
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "infix-verify-"));
  tiny = await ensureTinyPack();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("verifyPack", () => {
  it("runs every graph of the embedded tiny pack once and reports each output's shape", async () => {
    const seen: string[] = [];
    const report = await verifyPack(tiny, { pool, onGraph: (check) => seen.push(check.graph) });
    expect(report.problems).toBeUndefined();
    expect(report.graphs.filter((g) => !g.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(seen).toEqual(report.graphs.map((g) => g.graph));
    expect(seen.slice(0, 5)).toEqual(["qformer", "text_encoder", "unet", "vae_decoder", "vae_encoder"]);
    expect(seen.some((g) => g.startsWith("controlnet/"))).toBe(true);
    const unet = report.graphs.find((g) => g.graph === "unet")!;
    expect(unet.outputs?.out_sample).toEqual([1, 4, 6, 6]);
    const text = formatVerifyReport(report);
    expect(text).toMatch(/^ {2}ok {6}qformer +\d+ ms {2}ctx_embeddings \[1,\d+,\d+\]$/m);
    expect(text).toMatch(/verified: every graph ran$/);
  });

  it("reports the loader's contract problems for a pack with a missing graph, running nothing", async () => {
    const dir = join(root, "missing-unet");
    await writeStubPack(dir, stubManifest(), { omit: ["unet.onnx"] });
    const report = await verifyPack(dir, { pool });
    expect(report.ok).toBe(false);
    expect(report.graphs).toEqual([]);
    expect(report.problems?.join("\n")).toMatch(/unet\.onnx: missing/);
    expect(formatVerifyReport(report)).toMatch(/contract checks FAILED:\n {4}- .*unet\.onnx: missing/);
  });

  it("fails a pack whose headers pass but whose graphs give the wrong shapes when run", async () => {
    // The tiny pack's graphs with a manifest that promises one query token fewer than the Q-Former makes.
    const dir = join(root, "wrong-q");
    await cp(tiny, dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as { num_query_tokens: number };
    const q = manifest.num_query_tokens;
    manifest.num_query_tokens = q - 1;
    await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest));
    const report = await verifyPack(dir, { pool });
    expect(report.problems).toBeUndefined();
    expect(report.ok).toBe(false);
    const qformer = report.graphs.find((g) => g.graph === "qformer")!;
    expect(qformer.ok).toBe(false);
    expect(qformer.error).toMatch(new RegExp(`ctx_embeddings is \\[1,${q},\\d+\\], expected \\[1,${q - 1},\\d+\\]`));
    expect(formatVerifyReport(report)).toMatch(/^ {2}FAILED {2}qformer .*expected/m);
    expect(formatVerifyReport(report)).toMatch(/NOT usable/);
  });
});

import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeSafetensors } from "@infix/engine/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeHub, type FakeHubFaults } from "./fake-hub.ts";
import { hubAccessFromEnv, type HubAccess } from "./hub-download.ts";
import { pullPackSource, QFORMER_VOCAB_REPO, type PullRequest } from "./pull-pack.ts";

const fixture = fileURLToPath(new URL("../../../shared/fixtures/blip-diffusion-tiny/", import.meta.url));

let work: string;
let repos: Map<string, string>;
beforeAll(async () => {
  if (!existsSync(fixture))
    throw new Error(`missing fixture ${fixture}: the shared fixtures must sit beside the repository`);
  work = await mkdtemp(path.join(tmpdir(), "infix-pull-"));
  // Laid out like the released repositories: the pipeline without a Q-Former vocabulary or
  // ControlNet, the ControlNet in its own repository, BERT's vocabulary beside BERT's weights.
  const pipeline = path.join(work, "hub", "pipeline");
  await cp(fixture, pipeline, { recursive: true });
  await rm(path.join(pipeline, "controlnet-canny"), { recursive: true });
  await rm(path.join(pipeline, "qformer_tokenizer"), { recursive: true });
  const bert = path.join(work, "hub", "bert");
  await mkdir(bert, { recursive: true });
  await cp(path.join(fixture, "qformer_tokenizer", "vocab.txt"), path.join(bert, "vocab.txt"));
  await writeFile(path.join(bert, "tokenizer_config.json"), JSON.stringify({ do_lower_case: true }));
  await writeFile(path.join(bert, "pytorch_model.bin"), Buffer.alloc(20_000, 7));
  repos = new Map([
    ["Salesforce/blipdiffusion", pipeline],
    ["lllyasviel/sd-controlnet-canny", path.join(fixture, "controlnet-canny")],
    [QFORMER_VOCAB_REPO, bert],
  ]);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let runs = 0;
function request(extra: Partial<PullRequest> = {}): PullRequest {
  return { repo: "Salesforce/blipdiffusion", controlnets: [], dest: path.join(work, `out-${++runs}`), ...extra };
}

async function withHub<T>(
  faults: FakeHubFaults,
  body: (access: HubAccess, hub: Awaited<ReturnType<typeof startFakeHub>>) => Promise<T>,
) {
  const hub = await startFakeHub(repos, faults);
  try {
    return await body({ ...hubAccessFromEnv({ HF_ENDPOINT: hub.url, HF_TOKEN: "hf_test" }), attempts: 1 }, hub);
  } finally {
    await hub.close();
  }
}

const componentFiles = [
  "image_processor/preprocessor_config.json",
  "model_index.json",
  "qformer/config.json",
  "qformer/model.safetensors",
  "scheduler/scheduler_config.json",
  "text_encoder/config.json",
  "text_encoder/model.safetensors",
  "tokenizer/merges.txt",
  "tokenizer/special_tokens_map.json",
  "tokenizer/tokenizer_config.json",
  "tokenizer/vocab.json",
  "unet/config.json",
  "unet/diffusion_pytorch_model.safetensors",
  "vae/config.json",
  "vae/diffusion_pytorch_model.safetensors",
];

/** Byte equality of two files (vitest's deep equality walks a Buffer element by element: slow). */
function sameBytes(a: string, b: string): boolean {
  return readFileSync(a).equals(readFileSync(b));
}

async function filesUnder(folder: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? filesUnder(path.join(folder, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
    ),
  );
  return nested.flat().sort();
}

describe("pullPackSource", () => {
  it("downloads a pack's files only (one weight format, ControlNet, BERT vocabulary), byte for byte, with the token", async () => {
    await withHub({}, async (access, hub) => {
      const req = request({ controlnets: [{ repo: "lllyasviel/sd-controlnet-canny", name: "canny" }] });
      let last = { doneBytes: 0, totalBytes: -1 };
      await pullPackSource(req, access, (p) => (last = p));
      const expected = [
        ...componentFiles,
        "controlnet-canny/config.json",
        "controlnet-canny/diffusion_pytorch_model.safetensors",
        "qformer_tokenizer/tokenizer_config.json",
        "qformer_tokenizer/vocab.txt",
      ].sort();
      expect(await filesUnder(req.dest)).toEqual(expected);
      expect(
        sameBytes(
          path.join(req.dest, "unet/diffusion_pytorch_model.safetensors"),
          path.join(fixture, "unet/diffusion_pytorch_model.safetensors"),
        ),
      ).toBe(true);
      expect(
        sameBytes(
          path.join(req.dest, "qformer_tokenizer/vocab.txt"),
          path.join(fixture, "qformer_tokenizer/vocab.txt"),
        ),
      ).toBe(true);
      expect(last.doneBytes).toBe(last.totalBytes);
      expect(hub.requests.some((r) => r.url.endsWith(".bin"))).toBe(false);
      expect(hub.requests.every((r) => r.authorization === "Bearer hf_test")).toBe(true);
    });
  });

  it("resumes an interrupted download from the bytes it already has", async () => {
    const unet = "Salesforce/blipdiffusion/unet/diffusion_pytorch_model.safetensors";
    const req = request();
    const part = path.join(req.dest, "unet/diffusion_pytorch_model.safetensors.part");
    const size = readFileSync(path.join(fixture, "unet/diffusion_pytorch_model.safetensors")).length;
    let kept = 0;
    await withHub({ drop: new Map([[unet, { afterBytes: 100_000, times: 1 }]]) }, async (access) => {
      // attempts: 1, so the run stops at the first drop as a killed process would.
      const error = await pullPackSource(req, access).catch((caught: Error) => caught);
      const message =
        /unet\/diffusion_pytorch_model\.safetensors: download interrupted at (\d+) of (\d+) bytes .*run the command again to resume/.exec(
          String(error),
        );
      expect(message, String(error)).not.toBeNull();
      kept = Number(message![1]);
      expect(Number(message![2])).toBe(size);
    });
    // The hub drops the connection after 100,000 bytes; bytes still in flight when it resets can
    // be lost on a loaded machine, so the client keeps what it received, at most that.
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(100_000);
    expect((await stat(part)).size).toBe(kept);
    await withHub({}, async (access, hub) => {
      await pullPackSource(req, access);
      const unetRequests = hub.requests.filter((r) => r.url.endsWith("unet/diffusion_pytorch_model.safetensors"));
      expect(unetRequests.map((r) => r.range)).toContain(`bytes=${kept}-${size - 1}`);
      // Files finished by the first run are verified on disk, not fetched again.
      expect(hub.requests.some((r) => r.url.endsWith("/model_index.json"))).toBe(false);
    });
    expect(
      sameBytes(
        path.join(req.dest, "unet/diffusion_pytorch_model.safetensors"),
        path.join(fixture, "unet/diffusion_pytorch_model.safetensors"),
      ),
    ).toBe(true);
    expect(existsSync(part)).toBe(false);
  });

  it("retries a dropped connection within one run, resuming each time", async () => {
    const vae = "Salesforce/blipdiffusion/vae/diffusion_pytorch_model.safetensors";
    await withHub({ drop: new Map([[vae, { afterBytes: 5_000, times: 2 }]]) }, async (access, hub) => {
      const req = request({ qformerVocab: path.join(fixture, "qformer_tokenizer/vocab.txt") });
      await pullPackSource(req, { ...access, attempts: 3 });
      expect(
        sameBytes(
          path.join(req.dest, "vae/diffusion_pytorch_model.safetensors"),
          path.join(fixture, "vae/diffusion_pytorch_model.safetensors"),
        ),
      ).toBe(true);
      // Two resumed transfers, each from where the last stopped (the probes ask for bytes=0-0).
      const resumes = hub.requests
        .filter((r) => r.url.endsWith("vae/diffusion_pytorch_model.safetensors") && r.range && r.range !== "bytes=0-0")
        .map((r) => Number(/^bytes=(\d+)-/.exec(r.range!)![1]));
      expect(resumes).toEqual([5_000, 10_000]);
      // --qformer-vocab: BERT's repository is not asked for.
      expect(hub.requests.some((r) => r.url.includes("bert-base-uncased"))).toBe(false);
      expect(await filesUnder(path.join(req.dest, "qformer_tokenizer"))).toEqual(["vocab.txt"]);
    });
  });

  it("refuses a file whose checksum differs from the hub's, and keeps nothing of it", async () => {
    for (const file of ["vae/diffusion_pytorch_model.safetensors", "unet/config.json"]) {
      await withHub({ wrongChecksum: new Set([`Salesforce/blipdiffusion/${file}`]) }, async (access) => {
        const req = request();
        await expect(pullPackSource(req, access)).rejects.toThrow(
          new RegExp(
            `${file.replace(/\./g, "\\.")}: checksum mismatch: the hub lists (sha256|git sha1) 0+, the download has [0-9a-f]+`,
          ),
        );
        expect(existsSync(path.join(req.dest, file))).toBe(false);
        expect(existsSync(path.join(req.dest, `${file}.part`))).toBe(false);
      });
    }
  });

  it("brings a sharded component's index and every shard, and not a stale lone file beside it", async () => {
    const repo = path.join(work, "hub", "sharded");
    await mkdir(path.join(repo, "unet"), { recursive: true });
    await writeFile(
      path.join(repo, "model_index.json"),
      JSON.stringify({ _class_name: "X", unet: ["diffusers", "UNet2DConditionModel"] }),
    );
    await writeFile(path.join(repo, "unet", "config.json"), "{}");
    const tensor = (name: string) => ({ name, dtype: "float32" as const, shape: [2], bytes: () => new Uint8Array(8) });
    await writeSafetensors(path.join(repo, "unet", "diffusion_pytorch_model-00001-of-00002.safetensors"), [
      tensor("a"),
    ]);
    await writeSafetensors(path.join(repo, "unet", "diffusion_pytorch_model-00002-of-00002.safetensors"), [
      tensor("b"),
    ]);
    await writeFile(
      path.join(repo, "unet", "diffusion_pytorch_model.safetensors.index.json"),
      JSON.stringify({
        weight_map: {
          a: "diffusion_pytorch_model-00001-of-00002.safetensors",
          b: "diffusion_pytorch_model-00002-of-00002.safetensors",
        },
      }),
    );
    await writeFile(path.join(repo, "unet", "diffusion_pytorch_model.bin"), Buffer.alloc(100));
    repos.set("org/sharded", repo);
    await withHub({}, async (access) => {
      const req = request({ repo: "org/sharded", qformerVocab: path.join(fixture, "qformer_tokenizer/vocab.txt") });
      await pullPackSource(req, access);
      expect(await filesUnder(req.dest)).toEqual([
        "model_index.json",
        "qformer_tokenizer/vocab.txt",
        "unet/config.json",
        "unet/diffusion_pytorch_model-00001-of-00002.safetensors",
        "unet/diffusion_pytorch_model-00002-of-00002.safetensors",
        "unet/diffusion_pytorch_model.safetensors.index.json",
      ]);
    });
  });

  it("reads the pipeline at --revision and the ControlNet and BERT repositories at main", async () => {
    await withHub({}, async (access, hub) => {
      const req = request({
        revision: "v1.0",
        controlnets: [{ repo: "lllyasviel/sd-controlnet-canny", name: "canny" }],
      });
      await pullPackSource(req, access);
      const pipeline = hub.requests.filter((r) => r.url.includes("Salesforce/blipdiffusion/"));
      expect(pipeline.length).toBeGreaterThan(0);
      expect(pipeline.every((r) => /\/(tree|resolve)\/v1\.0(\/|$)/.test(r.url))).toBe(true);
      const others = hub.requests.filter((r) => !r.url.includes("Salesforce/blipdiffusion/"));
      expect(others.some((r) => r.url.includes("bert-base-uncased"))).toBe(true);
      expect(others.every((r) => /\/(tree|resolve)\/main(\/|$)/.test(r.url))).toBe(true);
    });
  });

  it("says a repository without model_index.json is not a pipeline", async () => {
    await withHub({}, async (access) => {
      await expect(pullPackSource(request({ repo: "lllyasviel/sd-controlnet-canny" }), access)).rejects.toThrow(
        /lllyasviel\/sd-controlnet-canny\/model_index\.json: missing: not a diffusers pipeline repository/,
      );
    });
  });
});

describe("hubAccessFromEnv", () => {
  it("reads HF_ENDPOINT and HF_TOKEN, defaulting to huggingface.co", () => {
    expect(hubAccessFromEnv({})).toEqual({ hubUrl: "https://huggingface.co" });
    expect(hubAccessFromEnv({ HF_ENDPOINT: "http://127.0.0.1:9/", HF_TOKEN: "hf_x" })).toEqual({
      hubUrl: "http://127.0.0.1:9",
      accessToken: "hf_x",
    });
  });
});

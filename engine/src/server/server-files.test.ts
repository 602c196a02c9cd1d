import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { embedWorkflowInPng } from "../files/png-metadata.ts";
import { encodeNpy } from "../runtime/npy/index.ts";
import { floatTensor } from "../runtime/tensor.ts";
import { emptyWorkflow } from "../graph/workflow.ts";
import { testNodePackage } from "../testing/index.ts";
import { api, rawGet, serverTestLifecycle } from "./server.test-support.ts";

const { start } = serverTestLifecycle();

const png = await sharp({ create: { width: 4, height: 3, channels: 3, background: "#00f" } })
  .png()
  .toBuffer();
const jpeg = await sharp({ create: { width: 4, height: 3, channels: 3, background: "#00f" } })
  .jpeg()
  .toBuffer();

describe("uploads", () => {
  it("stores an image under input/ with a safe, non-clashing name and serves it back", async () => {
    const { server } = await start();
    const first = await api(server, "POST", "/api/uploads?name=../My Cat.png", { body: png });
    expect(first).toMatchObject({ status: 201, data: { file: { folder: "input", name: "My_Cat.png" } } });
    const second = await api(server, "POST", "/api/uploads?name=My Cat.png", { body: png });
    expect(second.data.file).toEqual({ folder: "input", name: "My_Cat_1.png" });
    // The extension follows the content, whatever the name said.
    const renamed = await api(server, "POST", "/api/uploads?name=photo.png", { body: jpeg });
    expect(renamed.data.file).toEqual({ folder: "input", name: "photo.jpg" });
    const served = await fetch(`${server.url}/api/files/input/My_Cat_1.png`);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
  });

  it("refuses oversized uploads with 413, non-images with 415, and a missing name with 400", async () => {
    const { server } = await start({ maxUploadBytes: 1024 });
    const big = Buffer.concat([png, Buffer.alloc(2048)]);
    expect((await api(server, "POST", "/api/uploads?name=big.png", { body: big })).status).toBe(413);
    expect((await api(server, "POST", "/api/uploads?name=x.png", { body: "<svg onload=alert(1)>" })).status).toBe(415);
    const truncated = Buffer.concat([png.subarray(0, 8), Buffer.alloc(40)]);
    expect((await api(server, "POST", "/api/uploads?name=t.png", { body: truncated })).status).toBe(415);
    expect((await api(server, "POST", "/api/uploads", { body: png })).status).toBe(400);
    expect((await api(server, "GET", "/api/config")).status).toBe(200);
  });
});

describe("uploads of .npy arrays and declared kinds (the test package's .note.txt)", () => {
  const npy = Buffer.from(
    encodeNpy(
      floatTensor(
        [1, 4, 2, 2],
        Float32Array.from({ length: 16 }, (_, i) => i - 8),
      ),
    ),
  );
  const note = Buffer.from("walk the dog\nthen feed it\n");
  const uploadKinds = testNodePackage.uploadKinds;

  it("stores a .npy and a .note.txt under input/ with safe names, counting before the whole suffix", async () => {
    const { server } = await start({ uploadKinds });
    const latents = await api(server, "POST", "/api/uploads?name=../my noise.npy", { body: npy });
    expect(latents).toMatchObject({ status: 201, data: { file: { folder: "input", name: "my_noise.npy" } } });
    const first = await api(server, "POST", "/api/uploads?name=My Dog.note.txt", { body: note });
    expect(first).toMatchObject({ status: 201, data: { file: { folder: "input", name: "My_Dog.note.txt" } } });
    // Browsers label files by extension (application/json, text/plain); the upload must still reach the raw parser.
    const second = await api(server, "POST", "/api/uploads?name=My Dog.note.txt", {
      body: note,
      headers: { "content-type": "application/json" },
    });
    expect(second.data.file).toEqual({ folder: "input", name: "My_Dog_1.note.txt" });
    for (const [name, bytes] of [
      ["my_noise.npy", npy],
      ["My_Dog_1.note.txt", note],
    ] as const) {
      const served = await fetch(`${server.url}/api/files/input/${name}`);
      expect(served.status).toBe(200);
      expect(served.headers.get("x-content-type-options")).toBe("nosniff");
      expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
    }
  });

  it("refuses wrong content with 415: a cut-short .npy, a .note.txt its check refuses, an undeclared suffix", async () => {
    const { server } = await start({ uploadKinds });
    const short = await api(server, "POST", "/api/uploads?name=n.npy", { body: npy.subarray(0, npy.length - 4) });
    expect(short.status).toBe(415);
    expect(short.data.error).toMatch(/not a readable \.npy array/);
    const binary = await api(server, "POST", "/api/uploads?name=s.note.txt", { body: Buffer.from([0x61, 0x00]) });
    expect(binary).toMatchObject({
      status: 415,
      data: { error: "not a usable .note.txt file: it holds the control character U+0000" },
    });
    const plain = await api(server, "POST", "/api/uploads?name=s.txt", { body: note });
    expect(plain).toMatchObject({
      status: 415,
      data: { error: "only PNG, JPEG and WebP images, NumPy .npy arrays and text notes (.note.txt) can be uploaded" },
    });
  });

  it("accepts no declared kind when the server is given none, and says so", async () => {
    const { server } = await start();
    const refused = await api(server, "POST", "/api/uploads?name=s.note.txt", { body: note });
    expect(refused).toMatchObject({
      status: 415,
      data: { error: "only PNG, JPEG and WebP images and NumPy .npy arrays can be uploaded" },
    });
  });

  it("refuses a .npy or .note.txt over the size cap with 413", async () => {
    const { server } = await start({ maxUploadBytes: 256, uploadKinds });
    expect((await api(server, "POST", "/api/uploads?name=n.npy", { body: npy })).status).toBe(201);
    const bigNpy = Buffer.from(encodeNpy(floatTensor([1, 4, 8, 8])));
    expect((await api(server, "POST", "/api/uploads?name=n.npy", { body: bigNpy })).status).toBe(413);
    const bigNote = Buffer.from("word ".repeat(100));
    expect((await api(server, "POST", "/api/uploads?name=s.note.txt", { body: bigNote })).status).toBe(413);
  });
});

describe("file serving refuses traversal", () => {
  it("refuses .., encoded .., absolute paths, unknown folders and symlinks out of the folder", async () => {
    const { server, dataDir } = await start();
    writeFileSync(join(dataDir, "secret.txt"), "secret");
    mkdirSync(join(dataDir, "output", "run"), { recursive: true });
    writeFileSync(join(dataDir, "output", "run", "ok.txt"), "fine");
    symlinkSync(join(dataDir, "secret.txt"), join(dataDir, "output", "link.txt"));
    symlinkSync(dataDir, join(dataDir, "output", "up"));

    expect(await rawGet(server, "/api/files/output/run/ok.txt")).toEqual({ status: 200, body: "fine" });
    for (const path of [
      "/api/files/output/../secret.txt",
      "/api/files/output/run/../../secret.txt",
      "/api/files/output/%2e%2e/secret.txt",
      "/api/files/output/%2E%2E%2Fsecret.txt",
      "/api/files/output/..%2fsecret.txt",
      `/api/files/output/${encodeURIComponent(join(dataDir, "secret.txt"))}`,
      "/api/files/output/link.txt",
      "/api/files/output/up/secret.txt",
      "/api/files/secrets/x.txt",
    ]) {
      const res = await rawGet(server, path);
      expect([403, 404], path).toContain(res.status);
      expect(res.body, path).not.toContain('secret"');
      expect(res.body).not.toBe("secret");
    }
    expect((await rawGet(server, "/api/files/output/link.txt")).status).toBe(403);
    expect((await rawGet(server, "/api/files/output/%2e%2e/secret.txt")).status).toBe(403);
  });
});

describe("saved workflows", () => {
  it("saves versions, lists, restores a version and deletes", async () => {
    const { server } = await start();
    expect(
      (await api(server, "PUT", "/api/workflows/my flow", { json: { ...emptyWorkflow(), name: "v1" } })).data,
    ).toMatchObject({ name: "my flow", versions: 1 });
    await api(server, "PUT", "/api/workflows/my flow", { json: { ...emptyWorkflow(), name: "v2" } });
    expect((await api(server, "GET", "/api/workflows")).data.workflows).toMatchObject([
      { name: "my flow", versions: 2 },
    ]);
    expect((await api(server, "GET", "/api/workflows/my flow")).data.name).toBe("v2");
    expect((await api(server, "GET", "/api/workflows/my flow/versions")).data.versions).toHaveLength(2);
    expect((await api(server, "GET", "/api/workflows/my flow/versions/1")).data.name).toBe("v1");
    expect((await api(server, "GET", "/api/workflows/my flow/versions/7")).status).toBe(404);
    expect((await api(server, "PUT", "/api/workflows/my flow", { json: { nodes: 3 } })).status).toBe(400);
    expect((await rawGet(server, "/api/workflows/..%2f..%2fqueue")).status).toBe(400);
    expect((await api(server, "PUT", "/api/workflows/.hidden", { json: emptyWorkflow() })).status).toBe(400);
    expect((await api(server, "DELETE", "/api/workflows/my flow")).status).toBe(204);
    expect((await api(server, "GET", "/api/workflows/my flow")).status).toBe(404);
  });
});

describe("workflow from PNG, examples, cache, packs", () => {
  it("reads the workflow embedded in a PNG", async () => {
    const { server } = await start();
    const tagged = embedWorkflowInPng(png, { ...emptyWorkflow(), name: "from png" });
    expect((await api(server, "POST", "/api/workflow-from-png", { body: Buffer.from(tagged) })).data.name).toBe(
      "from png",
    );
    expect((await api(server, "POST", "/api/workflow-from-png", { body: png })).status).toBe(422);
    expect((await api(server, "POST", "/api/workflow-from-png", { body: jpeg })).status).toBe(415);
  });

  it("lists examples from a folder with titles from the workflows and serves them", async () => {
    const { server, dataDir } = await start();
    mkdirSync(join(dataDir, "examples"));
    writeFileSync(
      join(dataDir, "examples", "scene.json"),
      JSON.stringify({ ...emptyWorkflow(), name: "Scene swap", description: "Put a dog in a scene" }),
    );
    writeFileSync(join(dataDir, "examples", "broken.json"), "{");
    expect((await api(server, "GET", "/api/examples")).data.examples).toEqual([
      { name: "scene", title: "Scene swap", description: "Put a dog in a scene" },
    ]);
    expect((await api(server, "GET", "/api/examples/scene")).data.name).toBe("Scene swap");
    expect((await api(server, "GET", "/api/examples/broken")).status).toBe(404);
  });

  it("reports and clears the cache through the injected control, and lists what node packages offer", async () => {
    let entries = 3;
    const cache = {
      stats: () => ({ entries, bytes: entries * 10, budgetBytes: 100, hits: 1, misses: 2, evictions: 0 }),
      clear: () => void (entries = 0),
    };
    const info = {
      name: "fonts",
      kinds: [{ kind: "font", title: "font" }],
      resources: [{ kind: "font", id: "serif", title: "Serif", details: {} }],
      notices: [{ id: "fonts:few", level: "info" as const, text: "Only one font." }],
    };
    const { server } = await start({ cache, packages: () => [info] });
    expect((await api(server, "GET", "/api/cache")).data).toMatchObject({ entries: 3, bytes: 30 });
    expect((await api(server, "DELETE", "/api/cache")).data).toMatchObject({ entries: 0, bytes: 0 });
    expect((await api(server, "GET", "/api/packages")).data).toEqual({ packages: [info] });
    expect((await api(server, "GET", "/api/config")).data).toEqual({
      version: "0.1.0",
      maxUploadBytes: 25 * 1024 * 1024,
    });
  });
});

import { spawn } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { emptyWorkflow } from "../graph/workflow.ts";
import { folderExamples } from "./examples.ts";
import { api, rawGet, serverTestLifecycle } from "./server.test-support.ts";

/**
 * Links placed inside the server's folders (issue 14): a symlink to a file or a folder outside,
 * a hard link, and a folder flipping to a symlink while it is read. Every case: 0 successes.
 */
const { start, onCleanup } = serverTestLifecycle();

function outsideFolder() {
  const dir = mkdtempSync(join(tmpdir(), "infix-outside-"));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const workflow = { ...emptyWorkflow(), name: "SECRET" };
  writeFileSync(join(dir, "secret.json"), JSON.stringify(workflow));
  writeFileSync(join(dir, "1.json"), JSON.stringify(workflow));
  writeFileSync(join(dir, "file.txt"), "OUTSIDE");
  return dir;
}

describe("links in served folders are never followed", () => {
  it("examples: a symlinked example file and a symlinked examples sub-folder are not served", async () => {
    const outside = outsideFolder();
    const { dataDir } = await start();
    const examples = join(dataDir, "ex");
    mkdirSync(examples);
    writeFileSync(join(examples, "real.json"), JSON.stringify({ ...emptyWorkflow(), name: "Real" }));
    symlinkSync(join(outside, "secret.json"), join(examples, "linked.json"));
    linkSync(join(outside, "secret.json"), join(examples, "hard.json"));
    const { server } = await start({ examples: folderExamples(examples) });
    expect((await api(server, "GET", "/api/examples/real")).status).toBe(200);
    for (const name of ["linked", "hard"]) {
      const res = await api(server, "GET", `/api/examples/${name}`);
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.data)).not.toContain("SECRET");
    }
    const list = await api(server, "GET", "/api/examples");
    expect(JSON.stringify(list.data)).not.toContain("SECRET");
  });

  it("workflows: a symlinked workflow folder or version file is neither read nor written through", async () => {
    const outside = outsideFolder();
    const { server, dataDir } = await start();
    const workflows = join(dataDir, "workflows");
    mkdirSync(join(workflows, "mine"), { recursive: true });
    symlinkSync(outside, join(workflows, "linked"));
    symlinkSync(join(outside, "secret.json"), join(workflows, "mine", "1.json"));
    for (const path of ["/api/workflows/linked", "/api/workflows/linked/versions/1", "/api/workflows/mine"]) {
      const res = await api(server, "GET", path);
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.data)).not.toContain("SECRET");
    }
    const put = await api(server, "PUT", "/api/workflows/linked", { json: emptyWorkflow() });
    expect(put.status).toBe(409);
    expect(String(put.data.error)).toMatch(/link/);
    expect(readFileSync(join(outside, "1.json"), "utf8")).toContain("SECRET");
    expect(() => readFileSync(join(outside, "2.json"))).toThrow();
    // A real one still saves and reads.
    expect((await api(server, "PUT", "/api/workflows/ok", { json: emptyWorkflow() })).status).toBe(200);
    expect((await api(server, "GET", "/api/workflows/ok")).status).toBe(200);
  });

  it("files: a hard link in input/ is refused, an upload into a symlinked sub-folder answers 409", async () => {
    const outside = outsideFolder();
    const { server, dataDir } = await start();
    linkSync(join(outside, "file.txt"), join(dataDir, "input", "hard.txt"));
    symlinkSync(outside, join(dataDir, "input", "out"));
    const hard = await rawGet(server, "/api/files/input/hard.txt");
    expect(hard.status).toBe(403);
    expect(hard.body).not.toContain("OUTSIDE");
    const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    const upload = await api(server, "POST", "/api/uploads?name=out/x.png", { body: png });
    expect(upload.status).toBe(409);
    expect(() => readFileSync(join(outside, "x.png"))).toThrow();
  });

  it("the built editor's static files do not follow symlinks", async () => {
    const outside = outsideFolder();
    const dist = mkdtempSync(join(tmpdir(), "infix-dist-"));
    onCleanup(() => rmSync(dist, { recursive: true, force: true }));
    writeFileSync(join(dist, "index.html"), "<html><head></head><body>editor</body></html>");
    writeFileSync(join(dist, "app.js"), "console.log(1)");
    symlinkSync(join(outside, "file.txt"), join(dist, "leak.txt"));
    symlinkSync(outside, join(dist, "assets"));
    const { server } = await start({ editorDist: dist });
    expect(await rawGet(server, "/app.js")).toEqual({ status: 200, body: "console.log(1)" });
    for (const path of ["/leak.txt", "/assets/file.txt"]) {
      const res = await rawGet(server, path);
      expect(res.body).not.toContain("OUTSIDE");
      expect(res.body).toContain("editor");
    }
  });

  it("serves 0 outside files over HTTP while input/race flips between a folder and a symlink", async () => {
    const outside = outsideFolder();
    const { server, dataDir } = await start();
    const served = join(dataDir, "input");
    mkdirSync(join(served, "race"));
    writeFileSync(join(served, "race", "file.txt"), "inside");
    const flipper = spawn(process.execPath, ["-e", FLIPPER, join(served, "race"), outside], { stdio: "ignore" });
    const counts = { inside: 0, outside: 0, refused: 0, other: 0 };
    try {
      // 8 parallel loops, 2,000 requests in all; each loop stops by itself.
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 250; i++) {
            const res = await rawGet(server, "/api/files/input/race/file.txt");
            if (res.status === 200 && res.body === "inside") counts.inside++;
            else if (res.body.includes("OUTSIDE")) counts.outside++;
            else if (res.status === 403 || res.status === 404) counts.refused++;
            else counts.other++;
          }
        }),
      );
    } finally {
      flipper.kill();
      await new Promise((resolve) => (flipper.exitCode !== null ? resolve(null) : flipper.once("exit", resolve)));
    }
    expect(counts.outside).toBe(0);
    expect(counts.other).toBe(0);
    expect(counts.inside).toBeGreaterThan(0);
  }, 60_000);
});

/** Flips a folder between itself and a symlink to <outside>, 500,000 times at most. */
const FLIPPER = `
const fs = require("node:fs");
const [flip, outside] = process.argv.slice(1);
const real = flip + ".real";
for (let i = 0; i < 500000; i++) {
  fs.renameSync(flip, real); fs.symlinkSync(outside, flip);
  fs.unlinkSync(flip); fs.renameSync(real, flip);
}`;

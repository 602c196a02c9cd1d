import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const launcher = fileURLToPath(new URL("./infix.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "infix-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the real CLI (through the launcher, from a foreign cwd) and collects its output. */
function infix(
  args: string[],
  options: { until?: (stderr: string) => boolean; cwd?: string; dataDir?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // INFIX_DATA keeps runs without --data out of the real per-user data folder.
    const child = spawn(process.execPath, [launcher, ...args], {
      cwd: options.cwd ?? dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, INFIX_DATA: options.dataDir ?? join(dir, "user-data") },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.until?.(stderr)) child.kill("SIGTERM");
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

function writeWorkflow(name: string, nodes: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ format: "infix-workflow", version: 1, nodes }));
  return path;
}

describe("infix run", () => {
  it("runs a workflow of test nodes, draws progress on stderr and prints where outputs went", async () => {
    const file = writeWorkflow("ok.json", {
      "1": { type: "IntConstant", inputs: { value: 2 } },
      "2": { type: "SlowCount", inputs: { steps: 3, step_ms: 5 } },
      "3": { type: "AddInts", inputs: { a: { node: "1", output: "value" }, b: { node: "2", output: "count" } } },
      "4": { type: "ShowValue", inputs: { value: { node: "3", output: "sum" } } },
      "5": { type: "SaveText", inputs: { text: "hello", filename_prefix: "greeting" } },
    });
    const out = join(dir, "out");
    const result = await infix(["run", file, "--test-nodes", "--output", out, "--data", join(dir, "data")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("ShowValue (node 4): 5");
    expect(result.stdout).toContain(`outputs are in ${out}`);
    expect(readFileSync(join(out, "greeting.txt"), "utf8")).toBe("hello");
    expect(result.stderr).toContain("[####################] 100%  5/5 nodes");
  });

  it("exits 2 with one readable line per problem for an invalid workflow", async () => {
    const file = writeWorkflow("bad.json", {
      "1": { type: "SlowCount", title: "Counter", inputs: { steps: -4 } },
      "2": { type: "ShowValue", inputs: { value: { node: "1", output: "count" } } },
      "3": { type: "NoSuchNode", inputs: {} },
      "4": { type: "ShowValue", inputs: { value: { node: "3", output: "x" } } },
    });
    const result = await infix([
      "run",
      file,
      "--test-nodes",
      "--data",
      join(dir, "data"),
      "--output",
      join(dir, "out"),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("bad.json cannot run:");
    expect(result.stderr).toMatch(/node 1 \(Counter\) input 'steps': expected .*10000.*, found -4/);
    expect(result.stderr).toMatch(/node 3 \(NoSuchNode\): 'NoSuchNode' is not a node type Infix knows\./);
  });

  it("suggests the node type a typo meant, in the words of the command line", async () => {
    const file = writeWorkflow("typo.json", {
      "1": { type: "IntConstnt", inputs: { value: 1 } },
      "2": { type: "ShowValue", inputs: { value: { node: "1", output: "value" } } },
    });
    const result = await infix(["run", file, "--test-nodes"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Did you mean 'IntConstant'?");
    expect(result.stderr).not.toMatch(/server|node package/);
  });

  it("says where a workflow file is missing, empty or broken, without a raw ENOENT and without creating ./data", async () => {
    const missing = await infix(["run", "nope.json", "--test-nodes"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`There is no file ${join(dir, "nope.json")}`);
    expect(missing.stderr).not.toContain("ENOENT");
    writeFileSync(join(dir, "empty.json"), "");
    expect((await infix(["run", "empty.json", "--test-nodes"])).stderr).toContain("empty.json is empty");
    writeFileSync(join(dir, "broken.json"), '{\n  "format": "infix-workflow"\n  "version": 1\n}');
    const broken = await infix(["run", "broken.json", "--test-nodes"]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.json is not valid JSON:\n {2}line 3, column 3: expected ','/);
    // A run from a fresh folder writes its data to the per-user folder, not to ./data, and says so.
    const elsewhere = mkdtempSync(join(dir, "cwd-"));
    const ran = await infix(
      ["run", writeWorkflow("fine.json", { "1": { type: "ShowValue", inputs: { value: 1 } } }), "--test-nodes"],
      { cwd: elsewhere, dataDir: join(elsewhere, "..", "fresh-user-data") },
    );
    expect(ran.code).toBe(0);
    expect(readdirSync(elsewhere)).toEqual(["output"]);
    expect(ran.stderr).toContain(`created the data folder ${join(dir, "fresh-user-data")}`);
  });

  it("overrides inputs with --set, typed by the node's schema, and refuses unknown nodes and inputs by name", async () => {
    const file = writeWorkflow("set.json", {
      "1": { type: "IntConstant", inputs: { value: 2 } },
      "2": { type: "ShowValue", inputs: { value: { node: "1", output: "value" } } },
    });
    const ok = await infix(["run", file, "--test-nodes", "--set", "1.value=40", "--output", join(dir, "out")]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("ShowValue (node 2): 40");
    const bad = await infix([
      "run",
      file,
      "--test-nodes",
      "--set",
      "1.valu=3",
      "--set",
      "9.value=1",
      "--set",
      "1.value=x",
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("has no input 'valu'. Did you mean 'value'?");
    expect(bad.stderr).toContain("the workflow has no node '9'");
    expect(bad.stderr).toContain(`expects a whole number for 'value', not "x"`);
    const range = await infix(["run", file, "--test-nodes", "--set", "1.value=99999999"]);
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/node 1 \(IntConstant\) input 'value': expected between/);
  });

  it("reads an input file given by a path relative to the current folder, and calls a missing one an invalid input", async () => {
    writeFileSync(join(dir, "todo.txt"), "buy paint\n");
    const file = writeWorkflow("note.json", {
      "1": { type: "ReadTextFile", inputs: { file: "missing.txt" } },
      "2": { type: "ShowValue", inputs: { value: { node: "1", output: "text" } } },
    });
    const missing = await infix(["run", file, "--test-nodes"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      `"missing.txt" is neither in the input folder (${join(dir, "user-data", "input", "missing.txt")}) nor in the current folder (${join(dir, "missing.txt")})`,
    );
    const found = await infix(["run", file, "--test-nodes", "--set", "1.file=todo.txt", "--output", join(dir, "out")]);
    expect(found.code).toBe(0);
    expect(found.stdout).toContain("buy paint");
  });

  it("exits 1 naming the failing node when a node fails, and 2 for a file that is not a workflow", async () => {
    const failing = writeWorkflow("fail.json", {
      "1": { type: "Fail", inputs: { message: "out of paint" } },
      "2": { type: "ShowValue", inputs: { value: { node: "1", output: "value" } } },
    });
    const failed = await infix([
      "run",
      failing,
      "--test-nodes",
      "--data",
      join(dir, "data"),
      "--output",
      join(dir, "out"),
    ]);
    if (failed.code === 2) console.warn(failed.stderr);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/the run failed:\n {2}node 1 \(Fail\): .*out of paint/);
    writeFileSync(join(dir, "junk.json"), "{ nope");
    const junk = await infix(["run", join(dir, "junk.json"), "--test-nodes"]);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toMatch(/junk\.json is not valid JSON:\n {2}line 1, column 3: /);
  });
});

describe("infix serve", () => {
  it("starts on a free port, prints its URL, serves the test nodes' catalog and stops on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [launcher, "serve", "--port", "0", "--test-nodes", "--data", join(dir, "serve-data")],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let stderr = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /running at (http:\/\/\S+)/.exec(stderr);
        if (match) resolve(match[1]);
      });
      child.on("exit", () => reject(new Error(`serve exited early:\n${stderr}`)));
    });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // The console says where things are before the URL.
      expect(stderr).toContain(`data:   ${join(dir, "serve-data")}`);
      expect(stderr).toContain(`output: ${join(dir, "serve-data", "output")}`);
      expect(stderr).toContain("packs:  (test nodes only: no model packs)");
      const catalog = (await (await fetch(`${url}/api/nodes`)).json()) as { nodes: { type: string }[] };
      expect(catalog.nodes.map((node) => node.type)).toContain("SlowCount");
      expect((await fetch(`${url}/api/config`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  it("refuses a busy port in words, suggesting --port, with exit code 2", async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const result = await infix(["serve", "--port", String(port), "--test-nodes", "--data", join(dir, "busy-data")]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(result.stderr).toContain(`--port ${port + 1}`);
      expect(result.stderr).not.toContain("EADDRINUSE");
    } finally {
      blocker.close();
    }
  });
});

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
  until?: (stderr: string) => boolean,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [launcher, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (until?.(stderr)) child.kill("SIGTERM");
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
    expect(result.stderr).toContain("[####################]  5/5 nodes");
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
    expect(result.stderr).toMatch(/node 3 \(NoSuchNode\): .*NoSuchNode/);
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
    expect(junk.stderr).toMatch(/cannot read .*junk.json/);
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
      const catalog = (await (await fetch(`${url}/api/nodes`)).json()) as { nodes: { type: string }[] };
      expect(catalog.nodes.map((node) => node.type)).toContain("SlowCount");
      expect((await fetch(`${url}/api/config`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCompiledCli, compiledCliIsFresh } from "./cli-build.mjs";

/**
 * Issue 12 item 14: `infix --help` starts in a fraction of a second because each command loads
 * its modules when it runs. These spawn the real CLI with a preload that lists, at exit, the
 * npm packages it loaded through the CommonJS loader (onnxruntime-node, sharp, express,
 * socket.io, ioredis and bullmq all load there), compiled (dist/cli, what `infix` runs) and
 * from source. The engine's entry points are what keeps them apart: a production `infix run`
 * imports the host, never the server half.
 */

const launcher = fileURLToPath(new URL("./infix.mjs", import.meta.url));
/** Preloaded into the CLI (as source text): prints, as it exits, the npm packages loaded through require. */
function listLoadedPackagesAtExit(cache: Record<string, unknown>, writeSync: (fd: number, text: string) => void): void {
  process.on("exit", () => {
    const names = new Set<string>();
    for (const path of Object.keys(cache)) {
      const inPackage = path.split(/[\\/]node_modules[\\/]/);
      if (inPackage.length < 2) continue;
      const [scope, name] = inPackage[inPackage.length - 1].split(/[\\/]/);
      names.add(scope.startsWith("@") ? `${scope}/${name}` : scope);
    }
    writeSync(2, `\ninfix-loaded-packages ${JSON.stringify([...names])}\n`);
  });
}
const LIST_PACKAGES = `import { Module } from "node:module"; import { writeSync } from "node:fs";
(${listLoadedPackagesAtExit.toString()})(Module._cache, writeSync);`;
const SERVER_PACKAGES = ["express", "socket.io", "bullmq", "ioredis"];

const dir = mkdtempSync(join(tmpdir(), "infix-lazy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  if (!compiledCliIsFresh()) await buildCompiledCli();
}, 300_000);

async function loadedPackages(args: string[], fromSource: boolean): Promise<string[]> {
  const { stderr } = await promisify(execFile)(process.execPath, [launcher, ...args], {
    cwd: dir,
    timeout: 120_000,
    env: {
      ...process.env,
      INFIX_DATA: join(dir, "data"),
      INFIX_FROM_SOURCE: fromSource ? "1" : "0",
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=data:text/javascript,${encodeURIComponent(LIST_PACKAGES)}`,
    },
  });
  const line = /infix-loaded-packages (.*)/.exec(stderr);
  if (!line) throw new Error(`no package list in the CLI's stderr:\n${stderr}`);
  return JSON.parse(line[1]) as string[];
}

describe.each([
  ["compiled", false],
  ["from source", true],
])("the %s CLI", (_mode, fromSource) => {
  it("loads neither onnxruntime, sharp nor the server's packages for --help", async () => {
    const loaded = await loadedPackages(["--help"], fromSource);
    expect(loaded).toContain("commander"); // the preload does see packages
    expect(loaded.filter((name) => ["onnxruntime-node", "sharp", ...SERVER_PACKAGES].includes(name))).toEqual([]);
  });

  it("runs a workflow of test nodes without onnxruntime or the server's packages", async () => {
    const workflow = join(dir, "numbers.json");
    writeFileSync(
      workflow,
      JSON.stringify({
        format: "infix-workflow",
        version: 2,
        nodes: {
          "1": { type: "IntConstant", inputs: { value: 2 } },
          "2": { type: "ShowValue", inputs: { value: { node: "1", output: "value" } } },
        },
      }),
    );
    const loaded = await loadedPackages(["run", workflow, "--test-nodes"], fromSource);
    expect(loaded.filter((name) => ["onnxruntime-node", "express", "socket.io", "bullmq"].includes(name))).toEqual([]);
  });
});

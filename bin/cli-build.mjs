// The compiled CLI: bin/infix.ts and what it imports, bundled by esbuild into dist/cli/ so that
// `infix` starts without a TypeScript transpiler. Plain JavaScript on purpose: the launcher
// (bin/infix.mjs) reads the freshness check below before anything else is loaded.
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
export const compiledDir = join(repoRoot, "dist", "cli");
export const compiledEntry = join(compiledDir, "infix.mjs");
const manifestFile = "build.json";

/**
 * True when dist/cli holds a complete build newer than every source file it was built from
 * (esbuild's metafile lists them). A few hundred stat calls: a few milliseconds.
 */
export function compiledCliIsFresh() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(compiledDir, manifestFile), "utf8"));
  } catch {
    return false;
  }
  try {
    for (const input of manifest.inputs) if (statSync(join(repoRoot, input)).mtimeMs > manifest.startedAt) return false;
  } catch {
    return false; // a source was deleted or renamed: rebuild
  }
  return true;
}

/**
 * Bundles the CLI into dist/cli (code-split, so `--help` loads neither the server nor
 * onnxruntime; npm packages stay external and load from node_modules). It is written to a
 * temporary folder and moved into place, so a launcher never sees half a build.
 * @returns the build's duration in ms
 */
export async function buildCompiledCli() {
  const startedAt = Date.now();
  const { build } = await import("esbuild");
  const temp = `${compiledDir}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  try {
    const result = await build({
      // The job worker's thread entry is a second entry point: `infix serve` starts it from
      // beside its own chunk (dist/cli/executor-worker.mjs), as it does bin/executor-worker.mjs.
      entryPoints: [join(repoRoot, "bin", "infix.ts"), join(repoRoot, "bin", "executor-worker.ts")],
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      tsconfig: join(repoRoot, "tsconfig.json"),
      outdir: temp,
      outExtension: { ".js": ".mjs" },
      sourcemap: "linked",
      metafile: true,
      logLevel: "warning",
    });
    // Start time minus a second: an edit saved while esbuild read the file still counts as newer.
    const inputs = [
      "tsconfig.json", // its paths decide what @infix/* means
      ...Object.keys(result.metafile.inputs).map((input) => relative(repoRoot, join(repoRoot, input))),
    ];
    writeFileSync(join(temp, manifestFile), JSON.stringify({ startedAt: startedAt - 1000, inputs }));
    rmSync(compiledDir, { recursive: true, force: true });
    renameSync(temp, compiledDir);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return Date.now() - startedAt;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes("--if-stale") && compiledCliIsFresh()) process.exit(0);
  const ms = await buildCompiledCli();
  console.error(`cli: compiled into ${relative(process.cwd(), compiledDir) || compiledDir} (${ms} ms)`);
}

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * Newest modification time (ms) of any file under `path` (a file or folder), 0 when absent.
 * Folder times are ignored: checkouts and copies touch them without changing any source.
 */
export async function newestMtime(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of await readdir(path)) {
    if (entry === "node_modules" || entry === "dist") continue;
    newest = Math.max(newest, await newestMtime(join(path, entry)));
  }
  return newest;
}

/** Why the built editor must be rebuilt, or null when `editor/dist` is newer than its sources. */
export async function editorBuildReason(repoRoot: string): Promise<string | null> {
  const builtAt = await newestMtime(join(repoRoot, "editor", "dist", "index.html"));
  if (builtAt === 0) return "editor/dist is missing";
  const sources = Math.max(
    await newestMtime(join(repoRoot, "editor", "src")),
    await newestMtime(join(repoRoot, "editor", "index.html")),
    await newestMtime(join(repoRoot, "editor", "vite.config.ts")),
  );
  return sources > builtAt ? "the editor's sources changed since the last build" : null;
}

/**
 * Builds the editor with vite when `editor/dist` is missing or stale. Skips with a message
 * when the repo has no `editor/vite.config.ts` yet. Resolves to a line saying what happened.
 */
export async function buildEditorIfStale(repoRoot: string, log: (line: string) => void): Promise<void> {
  const config = join(repoRoot, "editor", "vite.config.ts");
  if (!existsSync(config)) {
    log("editor: no editor/vite.config.ts yet, skipping the build");
    return;
  }
  const reason = await editorBuildReason(repoRoot);
  if (reason === null) {
    log("editor: up to date");
    return;
  }
  log(`editor: building (${reason})…`);
  const vite = join(repoRoot, "node_modules", "vite", "bin", "vite.js");
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, "build", "--config", config], {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) throw new Error(`the editor build failed (vite exited with ${code}); see the output above`);
  log("editor: built");
}

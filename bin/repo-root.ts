import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The repository root above `from`: the nearest folder whose package.json is Infix's. The CLI
 * runs from its sources (bin/) and compiled (dist/cli/), at different depths.
 */
export function findRepoRoot(from: string): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "infix")
      return dir;
    if (dirname(dir) === dir) throw new Error(`no Infix package.json above ${from}`);
  }
}

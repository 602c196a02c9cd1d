import { homedir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Where Infix keeps its data (input pictures, the queue, saved workflows, temp files) when
 * `--data` is not given: `$INFIX_DATA`, else the per-user data folder of the platform
 * (`$XDG_DATA_HOME/infix`, `~/.local/share/infix`; `~/Library/Application Support/infix` on
 * macOS; `%LOCALAPPDATA%\infix` on Windows). Never the current folder: a command run from
 * anywhere must not leave a `data/` behind there.
 *
 * @example defaultDataDir({ HOME: "/home/ada" }, "linux", "/home/ada") // "/home/ada/.local/share/infix"
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.INFIX_DATA) return resolve(env.INFIX_DATA);
  if (platform === "win32") return join(env.LOCALAPPDATA ?? join(home, "AppData", "Local"), "infix");
  if (platform === "darwin") return join(home, "Library", "Application Support", "infix");
  return join(env.XDG_DATA_HOME || join(home, ".local", "share"), "infix");
}

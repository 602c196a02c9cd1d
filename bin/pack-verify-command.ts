import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { sessionOptionsFrom, withRuntimeOptions, type RuntimeCliOptions } from "./runtime-options.ts";

/**
 * `infix pack verify <pack>`: the loader's contract checks plus one forward pass of every
 * graph on small valid inputs, printed graph by graph as they finish; exit code 0 when every
 * graph ran and gave outputs of the promised shapes, 1 otherwise.
 */

interface PackVerifyCliOptions extends RuntimeCliOptions {
  models?: string;
}

/**
 * The folder a `<pack>` argument names: a folder path, else a pack under the models folder,
 * else `tiny` for the embedded pack (undefined: generate it).
 *
 * @example packFolderOf("blipdiffusion", "/m") // "/m/blipdiffusion" when that folder exists
 */
export function packFolderOf(pack: string, models: string | undefined): string | "tiny" {
  const isFolder = (path: string) => existsSync(path) && statSync(path).isDirectory();
  if (isFolder(pack)) return resolve(pack);
  if (models && isFolder(join(models, pack))) return resolve(models, pack);
  if (pack === "tiny") return "tiny";
  throw new Error(`no pack folder "${pack}"${models ? ` (nor ${join(models, pack)})` : ""}`);
}

export function addPackVerifyCommand(pack: Command): void {
  withRuntimeOptions(pack.command("verify"))
    .description("check a model pack: its contract, then one forward pass of every graph")
    .argument("<pack>", "a pack folder, a pack or diffusers folder under --models, or tiny for the embedded pack")
    .option("--models <dir>", "models folder to look the pack up in (default $INFIX_MODELS)")
    .action(async (name: string, options: PackVerifyCliOptions) => {
      // Loaded here so other commands never load onnxruntime.
      const { SessionPool } = await import("@infix/engine/runtime");
      const nodes = await import("@infix/nodes");
      const { ensureTinyPack, formatVerifyReport, verifyPack } = nodes;
      const folder = packFolderOf(name, options.models ?? process.env.INFIX_MODELS);
      let dir = folder === "tiny" ? await ensureTinyPack() : folder;
      if (nodes.isDiffusersFolder(dir)) {
        // A diffusers folder: verify its import (cached beside it, as the studio keeps it; made now if missing).
        console.error(`${dir} is a diffusers folder; verifying its import`);
        dir = await nodes.ensureImported({
          source: dir,
          modelsDir: dirname(dir),
          name: basename(dir),
          digests: new nodes.FileDigestCache(),
          importer: (request) => nodes.importDiffusersPack(request),
          onProgress: (event) => console.error(`  importing ${event.component} (${event.state})`),
        });
      }
      const pool = new SessionPool(sessionOptionsFrom(options, (message) => console.error(`warning: ${message}`)));
      console.error(`verifying ${dir} …`);
      const report = await verifyPack(dir, {
        pool,
        onGraph: (check) =>
          console.error(`  ${check.ok ? "ok" : "FAILED"} ${check.graph} (${Math.round(check.ms)} ms)`),
      });
      console.log(formatVerifyReport(report));
      // onnxruntime keeps worker threads; a finished check should not wait on them.
      process.exit(report.ok ? 0 : 1);
    });
}

import type { Command } from "commander";
import { addPackImportCommand } from "./pack-import-command.ts";
import { addPackPullCommand } from "./pack-pull-command.ts";
import { addPackVerifyCommand } from "./pack-verify-command.ts";

/**
 * `infix pack …`: model-pack tools. Each subcommand lives in its own file
 * (`pack-import-command.ts`, …) and adds itself to this group.
 */
export function addPackCommands(program: Command): Command {
  const pack = program.command("pack").description("make and check model packs");
  addPackImportCommand(pack);
  addPackPullCommand(pack);
  addPackVerifyCommand(pack);
  return pack;
}

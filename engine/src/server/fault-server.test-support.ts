/**
 * A real Infix server in its own process, for fault tests that kill it (`kill -9`) or run it
 * under an OS limit: the engine's executor with the test nodes, over the data folder in
 * INFIX_FAULT_DATA. Prints one line, `listening <url> <token>`, once it serves.
 * INFIX_FAULT_COMPACT_EVERY=<n> makes the queue journal compact after every n records.
 */
import { OutputCache } from "../cache/index.ts";
import { Executor } from "../execution/executor.ts";
import { FileStore } from "../files/file-store.ts";
import { NodeRegistry } from "../nodes/registry.ts";
import { testNodePackage } from "../testing/index.ts";
import { createServer } from "./server.ts";

const dataDir = process.env.INFIX_FAULT_DATA;
if (!dataDir) throw new Error("INFIX_FAULT_DATA must name the data folder");
const compactEvery = Number(process.env.INFIX_FAULT_COMPACT_EVERY ?? 0);
const resources = {
  get: (key: { id: string }): never => {
    throw new Error(`no resource ${key.id}`);
  },
  has: () => false,
};
const files = await FileStore.open(FileStore.foldersUnder(dataDir));
const registry = new NodeRegistry([testNodePackage]);
const cache = new OutputCache({ budgetBytes: 1 << 26 });
const log = { info: () => undefined, warn: (message: string) => process.stderr.write(`${message}\n`) };
const executor = new Executor({ registry, cache, resources, files: files.access(), log });
const server = await createServer({
  port: 0,
  dataDir,
  executor,
  files,
  cache,
  catalog: () => registry.catalog(resources),
  journal: compactEvery > 0 ? { compactionMinRecords: compactEvery, compactionSlackBytes: 1 } : undefined,
  // The fault tests need big jobs (a long journal to compact, a job over the OS file-size
  // limit); the boundary limits that refuse such bodies by default are tested elsewhere.
  limits: { workflowBodyBytes: 8 * 1024 * 1024, stringLength: 4 * 1024 * 1024 },
  log: (message) => process.stderr.write(`${message}\n`),
});
process.stdout.write(`listening ${server.url} ${server.token}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));

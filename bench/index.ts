/** `npm run bench`: every benchmark in turn. Each one also runs alone with `npx tsx bench/<name>.ts`. */
import { benchControlnet } from "./controlnet.ts";
import { benchCli } from "./cli.ts";
import { benchEditor } from "./editor.ts";
import { benchEditing } from "./editing.ts";
import { benchEngine } from "./engine.ts";
import { benchFarm } from "./farm.ts";
import { benchGeneration } from "./generation.ts";
import { benchImport } from "./import.ts";
import { benchPacks } from "./packs.ts";
import { benchQueue } from "./queue.ts";
import { benchSchedulers } from "./schedulers.ts";
import { benchWorker } from "./worker.ts";
import { benchServerOverhead } from "./server-overhead.ts";

await benchEngine();
await benchPacks();
await benchQueue();
await benchSchedulers();
await benchGeneration();
await benchEditing();
await benchImport();
await benchControlnet();
await benchWorker();
await benchServerOverhead();
await benchEditor();
await benchCli();
await benchFarm();

/** `npm run bench`: every benchmark in turn. Each one also runs alone with `npx tsx bench/<name>.ts`. */
import { benchEditor } from "./editor.ts";
import { benchEngine } from "./engine.ts";
import { benchFarm } from "./farm.ts";
import { benchGeneration } from "./generation.ts";
import { benchPacks } from "./packs.ts";
import { benchSchedulers } from "./schedulers.ts";

await benchEngine();
await benchPacks();
await benchSchedulers();
await benchGeneration();
await benchEditor();
await benchFarm();

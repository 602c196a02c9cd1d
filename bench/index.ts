/** `npm run bench`: every benchmark in turn. Each one also runs alone with `npx tsx bench/<name>.ts`. */
import { benchEngine } from "./engine.ts";
import { benchGeneration } from "./generation.ts";
import { benchPacks } from "./packs.ts";

await benchEngine();
await benchPacks();
await benchGeneration();

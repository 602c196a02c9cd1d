// Worker entry for the worker tests: lets the worker thread load TypeScript (as bin/infix.mjs does
// for the CLI), then serves an executor with the engine's test nodes.
import { register } from "tsx/esm/api";
import { fileURLToPath } from "node:url";

register({ tsconfig: fileURLToPath(new URL("../../../tsconfig.json", import.meta.url)) });
await import("./test-worker-main.test-support.ts");

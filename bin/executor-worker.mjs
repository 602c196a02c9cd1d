// The job worker's thread entry (started by `infix serve`): loads TypeScript like infix.mjs, then
// builds the same engine setup as the server and runs jobs on it.
import { register } from "tsx/esm/api";
import { fileURLToPath } from "node:url";

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
await import("./executor-worker.ts");

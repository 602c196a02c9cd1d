#!/usr/bin/env node
// Launcher: lets Node run the TypeScript CLI directly. tsx is registered with the repo's own
// tsconfig (found from this file, not the cwd) so the @infix/* aliases resolve from anywhere.
import { register } from "tsx/esm/api";
import { fileURLToPath } from "node:url";

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
await import("./infix.ts");

#!/usr/bin/env node
// Launcher: runs the compiled CLI (dist/cli, built by `npm start`, `npm test` and
// `npm run build:cli`) when it is newer than its sources, else the TypeScript sources through
// tsx, registered with the repo's own tsconfig (found from this file, not the cwd) so the
// @infix/* aliases resolve from anywhere.
import { pathToFileURL, fileURLToPath } from "node:url";
import { compiledCliIsFresh, compiledEntry } from "./cli-build.mjs";

if (process.env.INFIX_FROM_SOURCE !== "1" && compiledCliIsFresh()) {
  await import(pathToFileURL(compiledEntry).href);
} else {
  const { register } = await import("tsx/esm/api");
  register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
  await import("./infix.ts");
}

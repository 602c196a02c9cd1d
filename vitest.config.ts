import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Aliases mirror tsconfig.json's `paths`; every part of the repo imports the others through them.
 * The engine has five entry points (engine/src/index.ts says which is for what). Each alias is an
 * exact match, so `@infix/engine` never swallows `@infix/engine/host`.
 */
const entries: Record<string, string> = {
  "@infix/engine": here("./engine/src/index.ts"),
  "@infix/engine/runtime": here("./engine/src/runtime/index.ts"),
  "@infix/engine/host": here("./engine/src/host.ts"),
  "@infix/engine/server": here("./engine/src/host-server.ts"),
  "@infix/engine/testing": here("./engine/src/testing/index.ts"),
  "@infix/graph": here("./engine/src/graph/index.ts"),
  "@infix/protocol": here("./engine/src/protocol/index.ts"),
  "@infix/nodes": here("./nodes/src/index.ts"),
};
export const aliases = Object.entries(entries).map(([name, replacement]) => ({
  find: new RegExp(`^${name}$`),
  replacement,
}));

export default defineConfig({
  resolve: { alias: aliases },
  test: {
    include: [
      "engine/**/*.test.ts",
      "nodes/**/*.test.ts",
      "editor/src/**/*.test.{ts,tsx}",
      "editor/e2e/**/*.e2e.test.ts",
      "bin/**/*.test.ts",
      "tools/**/*.test.ts",
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});

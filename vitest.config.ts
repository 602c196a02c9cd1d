import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Aliases mirror tsconfig.json's `paths`; every part of the repo imports the others through them. */
export const aliases = {
  "@infix/engine": here("./engine/src/index.ts"),
  "@infix/graph": here("./engine/src/graph/index.ts"),
  "@infix/protocol": here("./engine/src/server/protocol.ts"),
  "@infix/nodes": here("./nodes/src/index.ts"),
};

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

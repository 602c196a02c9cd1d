// Lint gate: zero warnings, and the architecture's import directions.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX, { createNodeResolver } from "eslint-plugin-import-x";
import globals from "globals";

/**
 * The engine's entry points (tsconfig.json "paths"): @infix/engine (the node API),
 * @infix/engine/runtime, @infix/engine/host, @infix/engine/server, @infix/engine/testing, plus the
 * pure @infix/graph and @infix/protocol. Code outside engine/ reaches the engine only through them.
 */
const engineEntryPatterns = [
  {
    regex: "^(\\.\\.?/)+(.*/)?engine/",
    message:
      "import the engine through its entry points (@infix/engine, @infix/engine/runtime, @infix/engine/host, @infix/engine/server, @infix/engine/testing), not its files.",
  },
  {
    regex: "^@infix/engine/(?!(runtime|host|server|testing)$)",
    message: "the engine's entry points are @infix/engine, @infix/engine/runtime, /host, /server and /testing.",
  },
];

/** Node packages: the entry points less the host, and nothing of HTTP or the editor. */
const nodePackagePatterns = [
  ...engineEntryPatterns,
  {
    regex: "^@infix/engine/(host|server)$",
    message:
      "a node package never imports the host that runs it; its tests run workflows through @infix/engine/testing.",
  },
  { group: ["express", "socket.io", "**/editor/**"], message: "nodes/ knows nothing of HTTP or the editor." },
];

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "editor/dist/", ".cache/", "data/", "output/", "test-results/", "models/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    plugins: { "import-x": importX },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-eval": "error",
      "no-new-func": "error",
    },
  },
  {
    // No circular imports: a cycle makes module order (and half-initialised exports) matter.
    files: ["engine/**/*.ts", "nodes/**/*.ts", "bin/**/*.ts", "bench/**/*.ts", "tools/**/*.ts", "editor/**/*.{ts,tsx}"],
    settings: {
      "import-x/extensions": [".ts", ".tsx", ".js", ".mjs"],
      "import-x/resolver-next": [
        createNodeResolver({ extensions: [".ts", ".tsx", ".js", ".mjs"], tsconfig: { configFile: "./tsconfig.json" } }),
      ],
    },
    rules: { "import-x/no-cycle": ["error", { ignoreExternal: true }] },
  },
  {
    // Node packages use the engine's entry points only (engine/src/index.ts says which is for
    // what), never the host that runs them, and know nothing of HTTP.
    files: ["nodes/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: nodePackagePatterns }] },
  },
  {
    // What a node package ships does not use test helpers; its tests and test support may.
    files: ["nodes/**/*.ts"],
    ignores: ["nodes/**/*.test.ts", "nodes/**/*.test-support.ts", "nodes/**/testing/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...nodePackagePatterns,
            { regex: "^@infix/engine/testing$", message: "only tests and test support use @infix/engine/testing." },
          ],
        },
      ],
    },
  },
  {
    // The CLI, benchmarks and tools use the engine through its entry points, like any package would.
    files: ["bin/**/*.ts", "bench/**/*.ts", "tools/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: engineEntryPatterns }] },
  },
  {
    // The engine knows nothing of the node packages or the editor.
    files: ["engine/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@infix/nodes", "**/nodes/src/**", "**/editor/**"],
              message: "engine/ must not import nodes/ or editor/.",
            },
          ],
        },
      ],
    },
  },
  {
    // The engine's core runs upward into no HTTP layer: the queue, cache, executor, graph and
    // protocol know nothing of server/ (the protocol is a pure module of schemas in protocol/).
    files: ["engine/src/{queue,cache,execution,graph,protocol,nodes,runtime,files}/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@infix/nodes", "**/nodes/src/**", "**/editor/**"],
              message: "engine/ must not import nodes/ or editor/.",
            },
            {
              group: ["**/server/**", "express", "socket.io"],
              message: "the engine's core must not import server/ or HTTP.",
            },
          ],
        },
      ],
    },
  },
  {
    // The editor knows nodes only through the server's schemas: it imports the pure graph core and the protocol.
    files: ["editor/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@infix/engine", "@infix/nodes", "**/engine/**", "**/nodes/**"],
              message: "editor/ imports only @infix/graph and @infix/protocol.",
            },
          ],
        },
      ],
    },
  },
);

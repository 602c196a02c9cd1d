import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

/**
 * The layer rules of eslint.config.js, on source text linted as if it were a file at a given
 * path: code outside engine/ reaches the engine only through its entry points, and a node
 * package never through the host that runs it.
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const eslint = new ESLint({ cwd: repoRoot });

/** The messages of no-restricted-imports for `source` linted as `filePath`. */
async function refusals(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport {};\n`, { filePath });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("the engine's entry points, as lint enforces them", () => {
  it("refuses a node package's deep import of an engine file", async () => {
    const messages = await refusals(
      "nodes/src/model/layer-probe.ts",
      'import { NodeRegistry } from "../../../engine/src/nodes/registry.ts";\nvoid NodeRegistry;',
    );
    expect(messages).toEqual([expect.stringContaining("through its entry points")]);
  });

  it("refuses the host and the server to a node package, even in its tests", async () => {
    for (const path of ["nodes/src/model/layer-probe.ts", "nodes/src/model/layer-probe.test.ts"]) {
      const messages = await refusals(
        path,
        'import { Executor } from "@infix/engine/host";\nimport { createServer } from "@infix/engine/server";\nvoid Executor;\nvoid createServer;',
      );
      expect(messages).toEqual([
        expect.stringContaining("never imports the host"),
        expect.stringContaining("never imports the host"),
      ]);
    }
  });

  it("keeps the testing entry to a node package's tests and test support", async () => {
    const source = 'import { Executor } from "@infix/engine/testing";\nvoid Executor;';
    expect(await refusals("nodes/src/model/layer-probe.ts", source)).toEqual([
      expect.stringContaining("only tests and test support"),
    ]);
    expect(await refusals("nodes/src/model/layer-probe.test.ts", source)).toEqual([]);
    expect(await refusals("nodes/src/testing/layer-probe.ts", source)).toEqual([]);
  });

  it("lets a node package use the node API and the runtime", async () => {
    const source =
      'import { floatTensor } from "@infix/engine";\nimport { SessionPool } from "@infix/engine/runtime";\nvoid floatTensor;\nvoid SessionPool;';
    expect(await refusals("nodes/src/model/layer-probe.ts", source)).toEqual([]);
  });

  it("refuses bin/'s deep imports and made-up entry points, and allows the host", async () => {
    expect(
      await refusals(
        "bin/layer-probe.ts",
        'import { createServer } from "../engine/src/server/index.ts";\nvoid createServer;',
      ),
    ).toEqual([expect.stringContaining("through its entry points")]);
    expect(
      await refusals("bin/layer-probe.ts", 'import { Executor } from "@infix/engine/execution";\nvoid Executor;'),
    ).toEqual([expect.stringContaining("the engine's entry points are")]);
    expect(
      await refusals(
        "bin/layer-probe.ts",
        'import { Executor } from "@infix/engine/host";\nimport { createServer } from "@infix/engine/server";\nvoid Executor;\nvoid createServer;',
      ),
    ).toEqual([]);
  });
});

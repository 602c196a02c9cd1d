import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jsonSyntaxProblem, readWorkflowFile } from "./workflow-file.ts";

const dir = mkdtempSync(join(tmpdir(), "infix-workflow-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("readWorkflowFile", () => {
  it("names the full path of a missing file instead of a raw ENOENT", async () => {
    const read = await readWorkflowFile(join(dir, "nope.json"));
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.problems[0].message).toBe(
      `There is no file ${join(dir, "nope.json")}; check the name (paths are relative to ${process.cwd()}).`,
    );
    expect(read.problems[0].message).not.toContain("ENOENT");
  });

  it("says a file is empty, and that a folder is a folder", async () => {
    const empty = await readWorkflowFile(file("empty.json", "  \n"));
    expect(!empty.ok && empty.problems[0].message).toMatch(/empty\.json is empty;/);
    const folder = await readWorkflowFile(dir);
    expect(!folder.ok && folder.problems[0].message).toMatch(/is a folder/);
  });

  it("points at the line and column where the JSON breaks", async () => {
    const read = await readWorkflowFile(
      file("broken.json", '{\n  "format": "infix-workflow",\n  "version": 1\n  "nodes": {}\n}'),
    );
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.headline).toMatch(/broken\.json is not valid JSON/);
    expect(read.problems[0].message).toBe(`line 4, column 3: expected ',' (or a closing bracket) (at: "nodes": {}).`);
  });

  it("reads a workflow, and reports a JSON document that is not one", async () => {
    const ok = await readWorkflowFile(
      file("ok.json", JSON.stringify({ format: "infix-workflow", version: 1, nodes: {} })),
    );
    expect(ok.ok && Object.keys(ok.workflow.nodes)).toEqual([]);
    const other = await readWorkflowFile(file("other.json", "[1, 2]"));
    expect(!other.ok && other.problems[0].code).toBe("not_a_workflow");
  });
});

describe("jsonSyntaxProblem", () => {
  it("reports unfinished documents and trailing commas at their position", () => {
    expect(jsonSyntaxProblem('{"a": 1').message).toMatch(/^line 1, column 8: expected '}'/);
    expect(jsonSyntaxProblem("[1,\n 2,\n]").message).toMatch(/^line 3, column 1: expected a value/);
    expect(jsonSyntaxProblem("{ nope").message).toMatch(/^line 1, column 3: /);
  });
});

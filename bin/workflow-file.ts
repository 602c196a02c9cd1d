import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseWorkflow, type Problem, type Workflow } from "@infix/graph";
import { parse as parseJsonc, printParseErrorCode, type ParseError } from "jsonc-parser";

/** A workflow file read for `infix run`: the workflow, or why it cannot be used (exit code 2). */
export type WorkflowFileResult =
  { ok: true; workflow: Workflow; path: string } | { ok: false; headline: string; problems: Problem[] };

/**
 * Reads and parses a workflow JSON file, saying in words what is wrong: a missing file (with
 * its full path), a folder, an empty file, JSON broken at a line and column, or a document
 * that is not a workflow.
 *
 * @example const read = await readWorkflowFile("examples/zero-shot-generation.json");
 */
export async function readWorkflowFile(file: string): Promise<WorkflowFileResult> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT"
        ? `There is no file ${path}; check the name (paths are relative to ${process.cwd()}).`
        : code === "EISDIR"
          ? `${path} is a folder; give the workflow's .json file.`
          : code === "EACCES" || code === "EPERM"
            ? `${path} cannot be read (permission denied).`
            : `${path} cannot be read (${(error as Error).message}).`;
    return { ok: false, headline: `cannot read ${file}`, problems: [{ code: "unreadable_file", message }] };
  }
  if (text.trim() === "") {
    return {
      ok: false,
      headline: `cannot read ${file}`,
      problems: [{ code: "empty_file", message: `${path} is empty; a workflow is a JSON document saved by Infix.` }],
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, headline: `${file} is not valid JSON`, problems: [jsonSyntaxProblem(text)] };
  }
  const parsed = parseWorkflow(json);
  if (!parsed.ok) return { ok: false, headline: `${file} is not a valid workflow`, problems: parsed.problems };
  return { ok: true, workflow: parsed.workflow, path };
}

/** Where strict JSON breaks in `text`, as `line L, column C: <what>` (1-based, as editors count). */
export function jsonSyntaxProblem(text: string): Problem {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return { code: "invalid_json", message: "The file is not valid JSON." };
  const { line, column } = lineAndColumn(text, first.offset);
  const what = describeJsonError(printParseErrorCode(first.error));
  const excerpt = text.split("\n")[line - 1]?.trim().slice(0, 60);
  return {
    code: "invalid_json",
    message: `line ${line}, column ${column}: ${what}${excerpt ? ` (at: ${excerpt})` : ""}.`,
    found: `line ${line}, column ${column}`,
  };
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

const JSON_ERROR_WORDS: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "malformed number",
  PropertyNameExpected: "expected a property name in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: "expected ':'",
  CommaExpected: "expected ',' (or a closing bracket)",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: "unexpected text after the end of the document",
  InvalidCommentToken: "comments are not allowed in JSON",
  UnexpectedEndOfComment: "unfinished comment",
  UnexpectedEndOfString: "unfinished string",
  UnexpectedEndOfNumber: "unfinished number",
  InvalidUnicode: "invalid \\u escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "invalid character in a string",
};

function describeJsonError(code: string): string {
  return JSON_ERROR_WORDS[code] ?? code;
}

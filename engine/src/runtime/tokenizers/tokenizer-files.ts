import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";

/** Reading a tokenizer folder: which files exist, JSON with the file named in errors. */

export class TokenizerLoadError extends Error {
  override readonly name = "TokenizerLoadError";
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(`tokenizer folder '${basename(dir)}': ${reason}`);
  }
}

/** A tokenizer file's text, or undefined when `dir` lacks it; other read failures are TokenizerLoadErrors. */
export async function readOptionalText(dir: string, file: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, file), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new TokenizerLoadError(dir, `cannot read ${file}: ${(error as Error).message}`);
  }
}

/** A tokenizer JSON file's top-level object, or undefined when `dir` lacks it; anything but an object is a TokenizerLoadError. */
export async function readOptionalJson(dir: string, file: string): Promise<Record<string, unknown> | undefined> {
  const text = await readOptionalText(dir, file);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
    return value as Record<string, unknown>;
  } catch (error) {
    throw new TokenizerLoadError(dir, `${file} is not valid JSON (${(error as Error).message})`);
  }
}

/** The special-token settings of tokenizer_config.json and special_tokens_map.json, merged. */
export async function readTokenizerConfig(dir: string): Promise<Record<string, unknown>> {
  return {
    ...((await readOptionalJson(dir, "special_tokens_map.json")) ?? {}),
    ...((await readOptionalJson(dir, "tokenizer_config.json")) ?? {}),
  };
}

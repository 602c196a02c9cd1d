/**
 * The header of a NumPy `.npy` file: a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4, 8, 8), }`
 * (NumPy Enhancement Proposal 1, "A simple file format for NumPy arrays"; numpy.lib.format).
 * Only the literal forms NumPy writes are understood: strings, True/False, and tuples of
 * non-negative integers (Python 2's `3L` suffix included).
 */

/** The three keys every `.npy` header has. */
export interface NpyHeader {
  /** The dtype string, e.g. `<f4` (little-endian float32). */
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
}

/** numpy.lib.format.GROWTH_AXIS_MAX_DIGITS: NumPy leaves room for the first axis to grow in place. */
const GROWTH_AXIS_MAX_DIGITS = 21;

/**
 * The header text NumPy (1.23+) writes for `header`, before alignment padding: keys sorted,
 * each `'key': repr(value), `, then spare spaces for the first axis to grow in place.
 */
export function formatNpyHeader(header: NpyHeader): string {
  const shape = header.shape.length === 1 ? `(${header.shape[0]},)` : `(${header.shape.join(", ")})`;
  const dict = `{'descr': '${header.descr}', 'fortran_order': ${header.fortranOrder ? "True" : "False"}, 'shape': ${shape}, }`;
  const growthAxis = header.fortranOrder ? header.shape[header.shape.length - 1] : header.shape[0];
  const spare = header.shape.length > 0 ? GROWTH_AXIS_MAX_DIGITS - String(growthAxis).length : 0;
  return dict + " ".repeat(Math.max(0, spare));
}

type Literal = string | boolean | number[];

/**
 * Parses the header text (the padding spaces and final newline may be included).
 * Returns the header, or a sentence saying what is wrong with it.
 */
export function parseNpyHeader(text: string): NpyHeader | string {
  const parser = new LiteralParser(text);
  const dict = parser.parseDict();
  if (typeof dict === "string") return dict;
  const descr = dict.get("descr");
  const fortranOrder = dict.get("fortran_order");
  const shape = dict.get("shape");
  if (typeof descr !== "string") return "its header has no 'descr' string (a simple dtype such as '<f4' was expected)";
  if (typeof fortranOrder !== "boolean") return "its header has no 'fortran_order' True/False";
  if (!Array.isArray(shape)) return "its header has no 'shape' tuple";
  return { descr, fortranOrder, shape };
}

/** A recursive-descent reader of the few Python literal forms a `.npy` header uses. */
class LiteralParser {
  private position = 0;
  constructor(private readonly text: string) {}

  parseDict(): Map<string, Literal> | string {
    const entries = new Map<string, Literal>();
    if (!this.take("{"))
      return `its header does not start with a dict (found ${JSON.stringify(this.text.slice(0, 20))})`;
    while (!this.take("}")) {
      const key = this.parseString();
      if (key === undefined)
        return `its header dict has a key that is not a quoted string near position ${this.position}`;
      if (!this.take(":")) return `its header dict lacks ':' after '${key}'`;
      const value = this.parseValue();
      if (typeof value === "object" && !Array.isArray(value)) return value.error;
      entries.set(key, value);
      if (!this.take(",") && this.peek() !== "}") return `its header dict lacks ',' after '${key}'`;
    }
    this.skipSpace();
    if (this.position !== this.text.length) return "its header has text after the dict";
    return entries;
  }

  private parseValue(): Literal | { error: string } {
    const next = this.peek();
    if (next === "'" || next === '"') return this.parseString() ?? { error: "its header has an unterminated string" };
    if (next === "(") return this.parseTuple();
    for (const [word, value] of [
      ["True", true],
      ["False", false],
    ] as const) {
      if (this.text.startsWith(word, this.position)) {
        this.position += word.length;
        return value;
      }
    }
    return {
      error: `its header has a value NumPy does not write near position ${this.position} (a list dtype or an object?)`,
    };
  }

  private parseTuple(): number[] | { error: string } {
    this.take("(");
    const items: number[] = [];
    while (!this.take(")")) {
      this.skipSpace();
      const match = /^(\d+)L?/.exec(this.text.slice(this.position));
      if (!match)
        return {
          error: `its header's shape holds something other than non-negative integers near position ${this.position}`,
        };
      this.position += match[0].length;
      items.push(Number(match[1]));
      if (!this.take(",") && this.peek() !== ")") return { error: "its header's shape tuple lacks a ','" };
    }
    return items;
  }

  private parseString(): string | undefined {
    const quote = this.peek();
    if (quote !== "'" && quote !== '"') return undefined;
    const end = this.text.indexOf(quote, this.position + 1);
    if (end < 0) return undefined;
    const value = this.text.slice(this.position + 1, end);
    this.position = end + 1;
    return value;
  }

  /** The next non-space character, without consuming it. */
  private peek(): string {
    this.skipSpace();
    return this.text[this.position] ?? "";
  }

  private take(char: string): boolean {
    if (this.peek() !== char) return false;
    this.position++;
    return true;
  }

  private skipSpace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position])) this.position++;
  }
}

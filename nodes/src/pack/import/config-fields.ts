/**
 * Reading a component's config.json strictly: every field that changes the math is either
 * read (with the library's own default when the file omits it, as `save_pretrained` drops
 * defaults) or refused by name. Nothing falls back silently.
 */

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(`${file}: ${field} ${message}`);
  }
}

export type JsonObject = Record<string, unknown>;

/** Typed access to one config object (`file` names it in errors, `path` prefixes nested fields). */
export class ConfigReader {
  constructor(
    readonly file: string,
    private readonly values: JsonObject,
    private readonly path = "",
  ) {}

  private where(field: string): string {
    return this.path ? `${this.path}.${field}` : field;
  }

  has(field: string): boolean {
    return this.values[field] !== undefined && this.values[field] !== null;
  }

  raw(field: string): unknown {
    return this.values[field];
  }

  /** A nested object (`qformer_config`); an empty one when absent (then every field takes its default). */
  child(field: string): ConfigReader {
    const value = this.values[field] ?? {};
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new ConfigError(this.file, this.where(field), "must be an object");
    }
    return new ConfigReader(this.file, value as JsonObject, this.where(field));
  }

  number(field: string, fallback?: number): number {
    const value = this.values[field] ?? fallback;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new ConfigError(this.file, this.where(field), `must be a number (found ${JSON.stringify(value)})`);
    }
    return value;
  }

  integer(field: string, fallback?: number): number {
    const value = this.number(field, fallback);
    if (!Number.isInteger(value) || value < 0) {
      throw new ConfigError(this.file, this.where(field), `must be a non-negative integer (found ${value})`);
    }
    return value;
  }

  string(field: string, fallback?: string): string {
    const value = this.values[field] ?? fallback;
    if (typeof value !== "string") {
      throw new ConfigError(this.file, this.where(field), `must be a string (found ${JSON.stringify(value)})`);
    }
    return value;
  }

  boolean(field: string, fallback?: boolean): boolean {
    const value = this.values[field] ?? fallback;
    if (typeof value !== "boolean") {
      throw new ConfigError(this.file, this.where(field), `must be true or false (found ${JSON.stringify(value)})`);
    }
    return value;
  }

  integers(field: string): number[] {
    const value = this.values[field];
    if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v) && v > 0)) {
      throw new ConfigError(
        this.file,
        this.where(field),
        `must be a list of positive integers (found ${JSON.stringify(value)})`,
      );
    }
    return value as number[];
  }

  strings(field: string): string[] {
    const value = this.values[field];
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
      throw new ConfigError(this.file, this.where(field), `must be a list of strings (found ${JSON.stringify(value)})`);
    }
    return value as string[];
  }

  /** Refuses the field unless it is absent or one of `supported` (the values Infix implements). */
  require(field: string, supported: readonly unknown[], fallback?: unknown): void {
    const value = this.values[field] ?? fallback ?? null;
    if (!supported.some((s) => JSON.stringify(s) === JSON.stringify(value))) {
      throw new ConfigError(
        this.file,
        this.where(field),
        `= ${JSON.stringify(value)} is not supported (Infix implements ${supported.map((s) => JSON.stringify(s)).join(" or ")})`,
      );
    }
  }
}

import { InvalidArgumentError, type Command } from "commander";
import type { ExecutionProvider, GraphOptimizationLevel, SessionPoolOptions } from "@infix/engine/runtime";

/**
 * The inference and cache settings `infix serve` and `infix run` share: where graphs run,
 * how many threads they use, and how much memory sessions and cached outputs may hold.
 */
export interface RuntimeCliOptions {
  device: ExecutionProvider;
  threads?: number;
  graphOptimization: GraphOptimizationLevel;
  sessionMemoryMb?: number;
  cacheMb?: number;
}

const DEVICES: readonly ExecutionProvider[] = ["cpu", "cuda"];
const OPTIMIZATION_LEVELS: readonly GraphOptimizationLevel[] = ["disabled", "basic", "extended", "all"];

function oneOf<T extends string>(allowed: readonly T[], what: string): (value: string) => T {
  return (value) => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`${what} is one of ${allowed.join(", ")}`);
  };
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError("expected a whole number ≥ 1");
  return number;
}

/** Adds the runtime options to a command; `INFIX_DEVICE` sets the default device. */
export function withRuntimeOptions(command: Command): Command {
  const defaultDevice = oneOf(DEVICES, "INFIX_DEVICE")(process.env.INFIX_DEVICE ?? "cpu");
  return command
    .option(
      "--device <device>",
      "where graphs run: cpu, or cuda (needs onnxruntime-node's CUDA libraries, see the README's GPU note; falls back to cpu with a warning)",
      oneOf(DEVICES, "--device"),
      defaultDevice,
    )
    .option(
      "--threads <n>",
      "threads inside one graph operator (default: onnxruntime's, the core count)",
      positiveInteger,
    )
    .option(
      "--graph-optimization <level>",
      "onnxruntime graph optimization: disabled, basic, extended or all",
      oneOf(OPTIMIZATION_LEVELS, "--graph-optimization"),
      "all",
    )
    .option(
      "--session-memory-mb <mb>",
      "memory for loaded graphs before the least recently used is unloaded (default 8192)",
      positiveInteger,
    )
    .option("--cache-mb <mb>", "memory for cached node outputs (default 2048)", positiveInteger);
}

const MIB = 1024 * 1024;

/** Session pool settings from the parsed options. */
export function sessionOptionsFrom(options: RuntimeCliOptions, warn: (message: string) => void): SessionPoolOptions {
  return {
    executionProvider: options.device,
    intraOpThreads: options.threads,
    graphOptimizationLevel: options.graphOptimization,
    memoryBudgetBytes: options.sessionMemoryMb === undefined ? undefined : options.sessionMemoryMb * MIB,
    warn,
  };
}

/** Output cache budget from the parsed options, or undefined for the default. */
export function cacheBudgetFrom(options: RuntimeCliOptions): number | undefined {
  return options.cacheMb === undefined ? undefined : options.cacheMb * MIB;
}

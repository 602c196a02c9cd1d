import { createEngineSetup, type EngineSetup } from "./engine-setup.ts";
import { cacheBudgetFrom, sessionOptionsFrom, type RuntimeCliOptions } from "./runtime-options.ts";

/**
 * The engine setup every CLI process builds from its options (`infix serve`, `infix worker` and
 * their executor worker threads), so the folders, runtime and cache flags mean the same everywhere.
 */

/** The CLI options an engine setup is built from (plain data: it also crosses into worker threads). */
export interface EngineCliOptions extends RuntimeCliOptions {
  data: string;
  output?: string;
  models?: string;
  testNodes?: boolean;
}

/** Builds the engine setup from CLI options; runtime-option warnings go to `log`. */
export function engineSetupFromCli(options: EngineCliOptions, log: (line: string) => void): Promise<EngineSetup> {
  return createEngineSetup({
    dataDir: options.data,
    outputDir: options.output,
    modelsDir: options.models,
    testNodes: options.testNodes,
    sessionOptions: sessionOptionsFrom(options, (message) => log(`warning: ${message}`)),
    cacheBudgetBytes: cacheBudgetFrom(options),
    log,
  });
}

/** Only the engine options out of a command's options, for a worker thread's `workerData`. */
export function engineCliOptions(options: EngineCliOptions): EngineCliOptions {
  return {
    data: options.data,
    output: options.output,
    models: options.models,
    testNodes: options.testNodes,
    device: options.device,
    threads: options.threads,
    graphOptimization: options.graphOptimization,
    sessionMemoryMb: options.sessionMemoryMb,
    cacheMb: options.cacheMb,
  };
}

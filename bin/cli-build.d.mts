/** Types of cli-build.mjs (plain JavaScript so the launcher can load it without a transpiler). */
export declare const compiledDir: string;
export declare const compiledEntry: string;
export declare function compiledCliIsFresh(): boolean;
export declare function buildCompiledCli(): Promise<number>;

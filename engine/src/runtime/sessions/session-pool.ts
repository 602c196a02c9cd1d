import { stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type * as Ort from "onnxruntime-node";
import type { FloatTensor, IntTensor } from "../tensor.ts";
import { readOnnxSignature } from "../onnx-signature/read-signature.ts";
import { cudaProviderInstalled } from "./cuda-probe.ts";
import { float16ArrayToFloat32, float32ArrayToFloat16 } from "./float16.ts";
import { guardNativeCall } from "./native-guard.ts";

/**
 * One onnxruntime session per graph file, created on first use, shared by every job and
 * unloaded least-recently-used when the loaded graphs exceed a memory budget. A session is
 * never released while a run holds it; the pool may go over budget until that run ends.
 */

export type ExecutionProvider = "cpu" | "cuda";
export type GraphOptimizationLevel = "disabled" | "basic" | "extended" | "all";
/** How a graph stores its floating tensors; feeds and outputs stay float32 for the caller. */
export type GraphFloatType = "float32" | "float16";

export type PoolTensor = FloatTensor | IntTensor;
export type PoolFeeds = Readonly<Record<string, PoolTensor>>;
export type PoolOutputs = Record<string, PoolTensor>;

/** The part of an onnxruntime session the pool uses (tests substitute slow or counting ones). */
export interface PoolSession {
  run(feeds: Record<string, Ort.Tensor>): Promise<Record<string, Ort.Tensor>>;
  release(): Promise<void>;
}

export interface SessionCreateOptions {
  executionProvider: ExecutionProvider;
  intraOpThreads?: number;
  interOpThreads?: number;
  graphOptimizationLevel: GraphOptimizationLevel;
}

export interface SessionPoolOptions {
  /** `cpu` (default) or `cuda`; without a CUDA build of onnxruntime the pool warns once and uses the CPU. */
  executionProvider?: ExecutionProvider;
  /** Threads inside one operator; onnxruntime's default (the core count) when absent. */
  intraOpThreads?: number;
  /** Threads across independent operators; onnxruntime's default when absent. */
  interOpThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** Estimated bytes of loaded graphs to keep; default 8 GiB. */
  memoryBudgetBytes?: number;
  /** Where the one CUDA fallback warning goes; console.warn by default. */
  warn?: (message: string) => void;
  /** Creates a session; onnxruntime-node's InferenceSession.create by default. */
  createSession?: (path: string, options: SessionCreateOptions) => Promise<PoolSession>;
  /**
   * Whether a CUDA session is worth trying; by default, whether onnxruntime-node's CUDA
   * provider library is installed (always true with a custom `createSession`).
   */
  cudaAvailable?: () => boolean;
}

export interface SessionRunOptions {
  signal?: AbortSignal;
  /** The graph's float type (a pack manifest's `dtypes` entry); float32 by default. */
  floatType?: GraphFloatType;
}

export interface SessionPoolStats {
  sessionsLoaded: number;
  /** Estimated bytes of the loaded graphs (file plus external data sizes). */
  bytesLoaded: number;
  budgetBytes: number;
  runsInFlight: number;
  loads: number;
  evictions: number;
  executionProvider: ExecutionProvider;
}

interface PoolEntry {
  readonly path: string;
  readonly session: Promise<PoolSession>;
  bytes: number;
  users: number;
  lastUsed: number;
  /** Dropped by dropUnder while a run held it: released when that run ends. */
  dropped?: boolean;
}

const DEFAULT_BUDGET_BYTES = 8 * 1024 ** 3;

let onnxRuntimeModule: Promise<typeof Ort> | undefined;

/**
 * onnxruntime-node, imported on first use: loading its native addon costs start-up time that
 * commands which run no graph (`infix --help`, a workflow of image nodes) should not pay.
 */
function onnxRuntime(): Promise<typeof Ort> {
  return (onnxRuntimeModule ??= import("onnxruntime-node"));
}

export class SessionPool {
  private readonly entries = new Map<string, PoolEntry>();
  private readonly budgetBytes: number;
  private readonly createSession: (path: string, options: SessionCreateOptions) => Promise<PoolSession>;
  private readonly warn: (message: string) => void;
  private readonly cudaAvailable: () => boolean;
  private provider: ExecutionProvider;
  private useClock = 0;
  private loads = 0;
  private evictions = 0;

  constructor(private readonly options: SessionPoolOptions = {}) {
    this.budgetBytes = options.memoryBudgetBytes ?? DEFAULT_BUDGET_BYTES;
    this.createSession = options.createSession ?? createOrtSession;
    this.warn = options.warn ?? ((message) => console.warn(message));
    this.provider = options.executionProvider ?? "cpu";
    this.cudaAvailable = options.cudaAvailable ?? (options.createSession ? () => true : cudaProviderInstalled);
  }

  /**
   * Runs the graph at `path` on `feeds`, loading its session first if needed.
   * float32 feeds are converted to float16 for a float16 graph and its outputs back.
   *
   * @example
   * const { y } = await pool.run("model/add.onnx", { a, b }, { signal });
   */
  async run(path: string, feeds: PoolFeeds, options: SessionRunOptions = {}): Promise<PoolOutputs> {
    const { signal, floatType = "float32" } = options;
    signal?.throwIfAborted();
    const entry = this.acquire(resolve(path));
    try {
      const session = await entry.session;
      // onnxruntime cannot interrupt a run once started, so cancellation is honoured only
      // between runs: before this one starts, and by discarding its result after.
      signal?.throwIfAborted();
      const ortFeeds = toOrtFeeds(await onnxRuntime(), feeds, floatType);
      const outputs = await guardNativeCall(() => session.run(ortFeeds));
      signal?.throwIfAborted();
      return fromOrtOutputs(outputs);
    } finally {
      entry.users--;
      entry.lastUsed = ++this.useClock;
      if (entry.dropped && entry.users === 0) await releaseSession(entry);
      // Room made for loads while this run held its session is taken back now; the graph
      // just used stays, so a lone graph over budget is not reloaded on every run.
      await this.evictOverBudget(0, entry);
    }
  }

  stats(): SessionPoolStats {
    let bytesLoaded = 0;
    let runsInFlight = 0;
    for (const entry of this.entries.values()) {
      bytesLoaded += entry.bytes;
      runsInFlight += entry.users;
    }
    return {
      sessionsLoaded: this.entries.size,
      bytesLoaded,
      budgetBytes: this.budgetBytes,
      runsInFlight,
      loads: this.loads,
      evictions: this.evictions,
      executionProvider: this.provider,
    };
  }

  /** Whether the graph at `path` has a session (loaded or loading). */
  isLoaded(path: string): boolean {
    return this.entries.has(resolve(path));
  }

  /**
   * Forgets every session of a graph under `dir` (a model pack that changed or vanished on
   * disk): the next run loads the graph afresh. Idle sessions are released now, busy ones when
   * their run ends.
   *
   * @example await pool.dropUnder("/models/blip-diffusion");
   */
  async dropUnder(dir: string): Promise<void> {
    const root = resolve(dir) + sep;
    for (const entry of [...this.entries.values()]) {
      if (!entry.path.startsWith(root)) continue;
      this.entries.delete(entry.path);
      if (entry.users === 0) await releaseSession(entry);
      else entry.dropped = true;
    }
  }

  /** Releases every idle session (all of them when no run is in flight). */
  async releaseIdle(): Promise<void> {
    for (const entry of [...this.entries.values()]) {
      if (entry.users === 0) await this.evict(entry);
    }
  }

  private acquire(path: string): PoolEntry {
    let entry = this.entries.get(path);
    if (!entry) {
      const created: PoolEntry = { path, session: this.load(path), bytes: 0, users: 0, lastUsed: 0 };
      entry = created;
      this.entries.set(path, created);
      // A failed load leaves no entry behind, so the next request tries again.
      created.session.catch(() => {
        if (this.entries.get(path) === created) this.entries.delete(path);
      });
    }
    entry.users++;
    entry.lastUsed = ++this.useClock;
    return entry;
  }

  private async load(path: string): Promise<PoolSession> {
    const bytes = await estimateGraphBytes(path);
    // Make room before creating, so the old and new weights are not held together.
    await this.evictOverBudget(bytes);
    const entry = this.entries.get(path);
    if (entry) entry.bytes = bytes;
    const session = await this.createWithFallback(path);
    this.loads++;
    return session;
  }

  private async createWithFallback(path: string): Promise<PoolSession> {
    const base = {
      intraOpThreads: this.options.intraOpThreads,
      interOpThreads: this.options.interOpThreads,
      graphOptimizationLevel: this.options.graphOptimizationLevel ?? "all",
    };
    if (this.provider === "cuda" && !this.cudaAvailable()) {
      this.provider = "cpu";
      this.warn(
        "CUDA was requested but this onnxruntime-node has no CUDA execution provider (libonnxruntime_providers_cuda is not installed); " +
          "running every graph on the CPU. Install a CUDA build of onnxruntime-node to use the GPU (README, 'GPU').",
      );
    }
    if (this.provider === "cuda") {
      try {
        return await this.createSession(path, { ...base, executionProvider: "cuda" });
      } catch (error) {
        if (!isMissingProviderError(error)) throw error;
        this.provider = "cpu";
        this.warn(
          `CUDA was requested but this onnxruntime-node has no CUDA execution provider (${(error as Error).message.split("\n")[0]}); ` +
            "running every graph on the CPU. Install a CUDA build of onnxruntime-node to use the GPU.",
        );
      }
    }
    return this.createSession(path, { ...base, executionProvider: "cpu" });
  }

  /** Evicts idle sessions, least recently used first, until `incomingBytes` more would fit. */
  private async evictOverBudget(incomingBytes = 0, keep?: PoolEntry): Promise<void> {
    let total = incomingBytes;
    for (const entry of this.entries.values()) total += entry.bytes;
    if (total <= this.budgetBytes) return;
    const idle = [...this.entries.values()]
      .filter((entry) => entry.users === 0 && entry !== keep)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const entry of idle) {
      if (total <= this.budgetBytes) break;
      total -= entry.bytes;
      await this.evict(entry);
    }
  }

  private async evict(entry: PoolEntry): Promise<void> {
    if (this.entries.get(entry.path) !== entry) return;
    this.entries.delete(entry.path);
    this.evictions++;
    try {
      await (await entry.session).release();
    } catch {
      // A session that failed to load has nothing to release.
    }
  }
}

async function releaseSession(entry: PoolEntry): Promise<void> {
  try {
    await (await entry.session).release();
  } catch {
    // A session that failed to load has nothing to release.
  }
}

/** A graph's likely memory cost: its file plus any external weight files it names. */
export async function estimateGraphBytes(path: string): Promise<number> {
  let bytes = (await stat(path)).size;
  try {
    const { externalDataFiles } = await readOnnxSignature(path);
    for (const file of externalDataFiles) bytes += (await stat(join(dirname(path), file))).size;
  } catch {
    // Unreadable here means unloadable later; onnxruntime will report it with its own words.
  }
  return bytes;
}

async function createOrtSession(path: string, options: SessionCreateOptions): Promise<PoolSession> {
  const ort = await onnxRuntime();
  // onnxruntime-node rejects `undefined` thread counts, so absent ones are left out.
  return guardNativeCall(() =>
    ort.InferenceSession.create(path, {
      executionProviders: [options.executionProvider],
      graphOptimizationLevel: options.graphOptimizationLevel,
      ...(options.intraOpThreads !== undefined && { intraOpNumThreads: options.intraOpThreads }),
      ...(options.interOpThreads !== undefined && { interOpNumThreads: options.interOpThreads }),
    }),
  );
}

function isMissingProviderError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return (
    /cuda/i.test(message) &&
    /(not|n't) (supported|available|found|registered)|unsupported|no such|cannot|failed to load|backend/i.test(message)
  );
}

/** Wraps feeds as onnxruntime tensors, sharing their buffers (float16 graphs get a converted copy). */
function toOrtFeeds(ort: typeof Ort, feeds: PoolFeeds, floatType: GraphFloatType): Record<string, Ort.Tensor> {
  const out: Record<string, Ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(feeds)) {
    const dims = [...tensor.dims];
    if (tensor.data instanceof BigInt64Array) out[name] = new ort.Tensor("int64", tensor.data, dims);
    else if (floatType === "float16") out[name] = new ort.Tensor("float16", float32ArrayToFloat16(tensor.data), dims);
    else out[name] = new ort.Tensor("float32", tensor.data, dims);
  }
  return out;
}

function fromOrtOutputs(outputs: Record<string, Ort.Tensor>): PoolOutputs {
  const out: PoolOutputs = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    const dims = [...tensor.dims];
    const data = tensor.data;
    if (tensor.type === "float32" && data instanceof Float32Array) out[name] = { dims, data };
    else if (tensor.type === "float16" && data instanceof Uint16Array)
      out[name] = { dims, data: float16ArrayToFloat32(data) };
    // Where the runtime has a native Float16Array (Node 24+), onnxruntime returns one.
    else if (tensor.type === "float16") out[name] = { dims, data: Float32Array.from(data as ArrayLike<number>) };
    else if (tensor.type === "int64" && data instanceof BigInt64Array) out[name] = { dims, data };
    else if (tensor.type === "int32" && data instanceof Int32Array)
      out[name] = { dims, data: BigInt64Array.from(data, (v) => BigInt(v)) };
    else if (tensor.type === "float64" && data instanceof Float64Array)
      out[name] = { dims, data: Float32Array.from(data) };
    else throw new Error(`output '${name}' has element type ${tensor.type}, which the engine's tensors cannot hold`);
  }
  return out;
}

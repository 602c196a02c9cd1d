import { getEnvironmentData, isMainThread, setEnvironmentData } from "node:worker_threads";

/**
 * Keeps a worker thread from being terminated inside an onnxruntime call. Terminating a
 * worker_threads thread while its native code runs aborts the whole process ("terminate called
 * after throwing an instance of 'Napi::Error'": the binding's call returns into a JS engine
 * that is shutting down), so a hard cancel took the server down with the job. The worker and
 * the thread that may terminate it share one Int32Array cell: ≥ 0 counts native calls in
 * flight, -1 means "being terminated". A call enters only by raising a count it read (never
 * from -1); the terminating side claims the cell only from 0. Both by compare-and-exchange, so
 * termination happens exactly when no native call runs, and none starts after.
 */

const ENVIRONMENT_KEY = "infix:native-call-guard";
const TERMINATING = -1;

/** The cell of this thread, when the thread that started it shares one. */
let ownCell: Int32Array | undefined | null = null;

function cell(): Int32Array | undefined {
  if (ownCell === null) {
    const shared = isMainThread ? undefined : getEnvironmentData(ENVIRONMENT_KEY);
    ownCell = shared instanceof SharedArrayBuffer ? new Int32Array(shared) : undefined;
  }
  return ownCell;
}

/**
 * Runs `call` (a native call: a session's creation or run) as a guarded section: while it runs,
 * the thread is not terminated; once termination is claimed, no new section starts (the call
 * then waits for the termination that is coming). Outside a guarded worker it just runs `call`.
 */
export async function guardNativeCall<T>(call: () => Promise<T>): Promise<T> {
  const guard = cell();
  if (!guard) return call();
  for (;;) {
    const count = Atomics.load(guard, 0);
    if (count === TERMINATING) return new Promise<never>(() => undefined);
    if (Atomics.compareExchange(guard, 0, count, count + 1) === count) break;
  }
  try {
    return await call();
  } finally {
    Atomics.sub(guard, 0, 1);
  }
}

/**
 * A fresh cell for the next worker to be constructed (call right before `new Worker`: each
 * worker receives a copy of the environment data as it is then; the memory itself is shared).
 */
export function guardNextWorker(): Int32Array {
  const shared = new SharedArrayBuffer(4);
  setEnvironmentData(ENVIRONMENT_KEY, shared);
  return new Int32Array(shared);
}

/** Claims a worker's cell for termination: true when no native call runs (and none will start). */
export function claimForTermination(guard: Int32Array): boolean {
  return Atomics.compareExchange(guard, 0, 0, TERMINATING) === 0;
}

import { constants, getPriority, setPriority } from "node:os";

/**
 * Lowers the calling thread's scheduling priority by ten nice steps (to 10 from the usual 0,
 * at most to 19: a CPU share about a tenth of the server thread's), so that when the cores are busy the
 * server's own thread — HTTP answers, cancels, socket heartbeats — runs before inference. Called
 * first thing in the job worker thread: the onnxruntime threads it starts afterwards inherit the
 * value. With idle cores nothing changes; inference only yields to the coordinator and to other
 * work at normal priority.
 *
 * Linux only: there the nice value belongs to each thread and setpriority(PRIO_PROCESS, 0) names
 * the calling thread (man 2 setpriority, "NOTES"); elsewhere it names the whole process, which
 * would slow the server too. Returns the thread's nice value after the call, or undefined when
 * it was left alone.
 */
export function lowerThreadPriority(): number | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    const current = getPriority(0);
    setPriority(0, Math.min(constants.priority.PRIORITY_LOW, current + 10));
    return getPriority(0);
  } catch {
    return undefined; // a sandbox that forbids it: run at the inherited priority
  }
}

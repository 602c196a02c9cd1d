import type { Job } from "../protocol/index.ts";

/**
 * Where the queue keeps its jobs so they survive a restart. The queue holds the live state in
 * memory and tells the store every change; the store only has to replay it after a restart.
 * Today's store is a journal file (journal.ts); a Redis-backed one can sit behind the same
 * interface (issue #13, part 2).
 */

/** What changes in a job after admission: its state and its place in the queue, never its workflow. */
export type JobPatch = Partial<Pick<Job, "status" | "startedAt" | "finishedAt" | "error" | "nodes">> & {
  position?: number;
};

export interface StoredJob {
  job: Job;
  /** Queue position: lower runs first. */
  position: number;
  /** The job's stored size (its admission record), for the history's byte budget. */
  bytes: number;
}

/** What a store held when it was opened. */
export interface RestoredQueue {
  paused: boolean;
  jobs: StoredJob[];
  /** Unreadable records skipped (a write cut short by a crash), for a warning. */
  skippedRecords: number;
}

/** Why a job could not be admitted. */
export class JobStoreError extends Error {
  constructor(
    /** `unstorable`: the job itself cannot be written (the client's fault); `write_failed`: the store failed. */
    readonly kind: "unstorable" | "write_failed",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "JobStoreError";
  }
}

export interface JobStore {
  /** The state replayed when the store was opened. */
  readonly restored: RestoredQueue;
  /**
   * Writes a new job durably; resolves to its stored size once it would survive a crash, rejects
   * with a {@link JobStoreError} and leaves no trace of it otherwise.
   */
  admit(job: Job, position: number): Promise<number>;
  /** Records a change to an admitted job; resolves once written (failures are logged, never thrown). */
  update(id: string, patch: JobPatch): Promise<void>;
  remove(id: string): Promise<void>;
  setPaused(paused: boolean): Promise<void>;
  /** Waits for every write so far (and any compaction under way), then releases the store. */
  close(): Promise<void>;
}

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { JobSchema, type Job } from "../protocol/index.ts";
import { writeFileAtomicSync } from "../files/atomic-write.ts";

/**
 * The queue's persistence: an append-only JSON-lines journal, compacted now and then into a
 * fresh file by an atomic write (temp file + fsync + rename).
 *
 * Why not SQLite: the only binding that fits (better-sqlite3) is native and does not run on
 * the Node 20 here, and the queue's data is tiny (tens of jobs, a bounded history). A journal
 * needs no dependency, an append is one write(2) of one line, and recovery is simple: replay
 * the lines, skip one that a crash cut short. Compaction keeps the file proportional to the
 * live state, and the rename makes it all-or-nothing.
 */

/** One line of the journal. `job` upserts a whole job with its queue position. */
export const JournalRecordSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("job"), job: JobSchema, position: z.number() }),
  z.object({ type: z.literal("delete"), id: z.string() }),
  z.object({ type: z.literal("paused"), paused: z.boolean() }),
]);
export type JournalRecord = z.infer<typeof JournalRecordSchema>;

/** The queue's state as the journal replays it. */
export interface JournalState {
  paused: boolean;
  /** Jobs by id, each with its queue position (lower runs first). */
  jobs: Map<string, { job: Job; position: number }>;
  /** Lines that could not be read (a crash mid-write leaves at most one, at the end). */
  skippedLines: number;
}

export class QueueJournal {
  private fd: number;
  private appendsSinceCompaction = 0;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Replays the journal at `path` (absent = empty queue), rewrites it compacted (which also
   * drops a torn last line, so the next append starts on a fresh line) and opens it for appends.
   */
  static open(path: string): { journal: QueueJournal; state: JournalState } {
    mkdirSync(dirname(path), { recursive: true });
    const state = existsSync(path)
      ? replay(readFileSync(path, "utf8"))
      : { paused: false, jobs: new Map(), skippedLines: 0 };
    writeFileAtomicSync(path, serialise(snapshotRecords(state)));
    const journal = new QueueJournal(path, openSync(path, "a"));
    return { journal, state };
  }

  /**
   * Appends one record. A synchronous write keeps records in the order the queue made them
   * and costs microseconds at this size; no fsync per line (a lost last line after a power cut
   * only loses the newest change, and a torn one is skipped at replay).
   */
  append(record: JournalRecord): void {
    this.appendLine(QueueJournal.serialise(record));
  }

  /** One record as its journal line; throws (RangeError) for data nested deeper than the stack allows. */
  static serialise(record: JournalRecord): string {
    return `${JSON.stringify(record)}\n`;
  }

  /** Appends a line made by {@link QueueJournal.serialise}. */
  appendLine(line: string): void {
    writeSync(this.fd, line);
    this.appendsSinceCompaction += 1;
  }

  /** True when enough appends piled up that a compaction pays off. */
  needsCompaction(liveRecords: number): boolean {
    return this.appendsSinceCompaction > Math.max(200, 4 * liveRecords);
  }

  /** Replaces the journal with `records` (the live state) atomically and reopens it for appends. */
  compact(records: JournalRecord[]): void {
    closeSync(this.fd);
    writeFileAtomicSync(this.path, serialise(records));
    this.fd = openSync(this.path, "a");
    this.appendsSinceCompaction = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Replays journal text into a state; unreadable lines are counted and skipped. */
export function replay(text: string): JournalState {
  const state: JournalState = { paused: false, jobs: new Map(), skippedLines: 0 };
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let record: JournalRecord;
    try {
      const parsed = JournalRecordSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw parsed.error;
      record = parsed.data;
    } catch {
      state.skippedLines += 1;
      continue;
    }
    if (record.type === "job") state.jobs.set(record.job.id, { job: record.job, position: record.position });
    else if (record.type === "delete") state.jobs.delete(record.id);
    else state.paused = record.paused;
  }
  return state;
}

/** The records that rebuild `state` from an empty journal. */
export function snapshotRecords(state: Pick<JournalState, "paused" | "jobs">): JournalRecord[] {
  const records: JournalRecord[] = [{ type: "paused", paused: state.paused }];
  for (const { job, position } of state.jobs.values()) records.push({ type: "job", job, position });
  return records;
}

function serialise(records: JournalRecord[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join("");
}

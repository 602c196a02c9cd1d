import { randomBytes } from "node:crypto";
import {
  close,
  closeSync,
  existsSync,
  fdatasync,
  fsync,
  ftruncate,
  mkdirSync,
  open,
  openSync,
  read,
  readdirSync,
  readFileSync,
  rename,
  unlink,
  unlinkSync,
  write,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import { writeFileAtomicSync } from "../files/atomic-write.ts";
import { JobSchema, type Job } from "../protocol/index.ts";
import { JobStoreError, type JobPatch, type JobStore, type RestoredQueue } from "./job-store.ts";

/**
 * The queue's store on one machine: an append-only JSON-lines journal.
 *
 * A job's workflow is written once, at admission (`job` record, fsynced before the job is
 * queued); later changes are small `state` records (status, times, per-node states with file
 * references to outputs, never the outputs). Compaction copies each live job's admission line
 * byte for byte from the old file into a new one, off the event loop (async reads and writes,
 * one job at a time), while appends keep going to the old file and are replayed into the new
 * one before an atomic rename: it never blocks the server and never loses a record.
 *
 * Why not SQLite: the only binding that fits (better-sqlite3) is native and does not run on the
 * Node 20 here. Recovery is simple: replay the lines, skip a torn last one (with a warning),
 * delete a compaction's temp file left by a crash.
 */

const JobPatchSchema = JobSchema.pick({ status: true, startedAt: true, finishedAt: true, error: true, nodes: true })
  .partial()
  .extend({ position: z.number().optional() });

/** One line of the journal. A journal written before `state` records existed repeats whole `job` records: still read. */
export const JournalRecordSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("job"), job: JobSchema, position: z.number() }),
  z.object({ type: z.literal("state"), id: z.string(), patch: JobPatchSchema }),
  z.object({ type: z.literal("delete"), id: z.string() }),
  z.object({ type: z.literal("paused"), paused: z.boolean() }),
]);
export type JournalRecord = z.infer<typeof JournalRecordSchema>;

export interface JournalOptions {
  /** Where recoverable trouble goes (a skipped line, a failed write); default console.warn. */
  log?: (message: string) => void;
  /** Compact when the file holds this many bytes more than twice the live jobs' (default 1 MiB)... */
  compactionSlackBytes?: number;
  /** ...or when this many records were appended since the last compaction (default max(200, 4 × live jobs)). */
  compactionMinRecords?: number;
}

/** Where a live job's admission line sits in the current file (without its newline). */
interface LiveJob {
  offset: number;
  length: number;
  /** Every change since admission, merged: what a compaction writes after the copied line. */
  patch: JobPatch;
}

interface TailRecord {
  bytes: Buffer;
  /** Set for an admission, so the compaction learns where the job's line lands in the new file. */
  admittedId?: string;
}

/** A record waiting to be written: `done` hears the write's failure, or nothing when it is written. */
interface PendingRecord {
  bytes: Buffer;
  /** Set for an admission: the group is synced, and the job's line becomes live once written. */
  admittedId?: string;
  done: (error?: unknown) => void;
}

const writeAsync = promisify(write);
const readAsync = promisify(read);
const fdatasyncAsync = promisify(fdatasync);
const ftruncateAsync = promisify(ftruncate);
const openAsync = promisify(open);
const closeAsync = promisify(close);
const renameAsync = promisify(rename);
const unlinkAsync = promisify(unlink);

export class JournalJobStore implements JobStore {
  readonly restored: RestoredQueue;
  private fd: number;
  private size: number;
  private readonly live: Map<string, LiveJob>;
  private liveBytes = 0;
  private paused: boolean;
  private recordsSinceCompaction = 0;
  /** Every write goes through this chain, one at a time, in the order the queue made them. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Set while a compaction copies: records written meanwhile, to replay into the new file. */
  private tail: TailRecord[] | undefined;
  private compaction: Promise<void> = Promise.resolve();
  private closed = false;
  private compactions = 0;
  /** Records waiting for their group's write (see writePending). */
  private readonly pending: PendingRecord[] = [];
  private readonly log: (message: string) => void;
  private readonly slackBytes: number;
  private readonly minRecords: number | undefined;

  /**
   * Opens the journal at `path` (absent = empty queue): deletes a temp file a killed compaction
   * left, replays the records (skipping unreadable ones), and rewrites the file compacted.
   */
  constructor(
    readonly path: string,
    options: JournalOptions = {},
  ) {
    this.log = options.log ?? ((message) => console.warn(message));
    this.slackBytes = options.compactionSlackBytes ?? 1024 * 1024;
    this.minRecords = options.compactionMinRecords;
    mkdirSync(dirname(path), { recursive: true });
    const removed = removeTempFiles(path);
    if (removed > 0)
      this.log(`queue journal ${path}: removed ${removed} temp file(s) left by an interrupted compaction`);
    const buffer = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    const { restored, live } = replay(buffer);
    if (restored.skippedRecords > 0) {
      this.log(
        `queue journal ${path}: skipped ${restored.skippedRecords} unreadable line(s) (a write cut short by a crash); the rest is kept`,
      );
    }
    this.restored = restored;
    this.paused = restored.paused;
    // Rewritten before the server listens: drops torn lines and old garbage, so appends start clean.
    const { bytes, offsets } = snapshotFile(restored.paused, live, (entry) =>
      buffer.subarray(entry.offset, entry.offset + entry.length),
    );
    writeFileAtomicSync(path, bytes);
    for (const [id, entry] of live) {
      entry.offset = offsets.get(id)!;
      this.liveBytes += entry.length;
    }
    this.live = live;
    this.size = bytes.length;
    this.fd = openSync(path, "r+");
  }

  admit(job: Job, position: number): Promise<number> {
    if (this.closed) return Promise.reject(new JobStoreError("write_failed", "the queue journal is closed"));
    let bytes: Buffer;
    try {
      bytes = recordBytes({ type: "job", job, position });
    } catch (error) {
      return Promise.reject(new JobStoreError("unstorable", unstorableReason(error), { cause: error }));
    }
    return new Promise((resolve, reject) =>
      this.enqueue({
        bytes,
        admittedId: job.id,
        done: (error) =>
          error === undefined
            ? resolve(bytes.length)
            : reject(
                new JobStoreError("write_failed", `the queue journal could not be written (${describe(error)})`, {
                  cause: error,
                }),
              ),
      }),
    );
  }

  update(id: string, patch: JobPatch): Promise<void> {
    const entry = this.live.get(id);
    if (!entry || this.closed) return Promise.resolve();
    Object.assign(entry.patch, patch);
    return this.appendQuietly({ type: "state", id, patch }, `job ${id}'s state`);
  }

  remove(id: string): Promise<void> {
    const entry = this.live.get(id);
    if (!entry || this.closed) return Promise.resolve();
    this.live.delete(id);
    this.liveBytes -= entry.length;
    return this.appendQuietly({ type: "delete", id }, `the removal of job ${id}`);
  }

  setPaused(paused: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.paused = paused;
    return this.appendQuietly({ type: "paused", paused }, "the paused flag");
  }

  /** Resolves when every write so far and any compaction under way have finished (for tests and shutdown). */
  async idle(): Promise<void> {
    await this.chain;
    await this.compaction;
    await this.chain;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.idle();
    closeSync(this.fd);
  }

  /** The file's size as this store wrote it, and how many compactions completed. */
  stats(): { bytes: number; compactions: number } {
    return { bytes: this.size, compactions: this.compactions };
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const result = this.chain.then(task);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Appends a record; a failure (a full disk) is logged and the queue goes on in memory. */
  private appendQuietly(record: JournalRecord, what: string): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = recordBytes(record);
    } catch (error) {
      this.log(`queue journal: could not record ${what} (${describe(error)})`);
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.enqueue({
        bytes,
        done: (error) => {
          if (error !== undefined)
            this.log(`queue journal: could not record ${what} (${describe(error)}); the queue goes on in memory`);
          resolve();
        },
      }),
    );
  }

  /** Queues a record for the next group write; the first of a group schedules it, those arriving before it starts join it. */
  private enqueue(record: PendingRecord): void {
    this.pending.push(record);
    if (this.pending.length === 1) void this.serial(() => this.writePending());
  }

  /**
   * Writes the records queued so far with one write, and one fdatasync when the group holds an
   * admission (group commit, as databases do): a job answered 201 is on disk, not only in the
   * page cache, and twenty clients submitting at once wait for one sync instead of twenty in a
   * row (2-50 ms each on the shared test machine), nor behind hundreds of small state writes.
   * A failed write or sync is cut off again, so a full disk never leaves a torn line that later
   * records would run into, and every record of the group fails.
   */
  private async writePending(): Promise<void> {
    const group = this.pending.splice(0);
    const start = this.size;
    try {
      await writeFully(this.fd, group.length === 1 ? group[0].bytes : Buffer.concat(group.map((r) => r.bytes)), start);
      if (group.some((r) => r.admittedId !== undefined)) await fdatasyncAsync(this.fd);
    } catch (error) {
      await ftruncateAsync(this.fd, start).catch(() => undefined);
      for (const record of group) record.done(error);
      return;
    }
    let offset = start;
    for (const { bytes, admittedId } of group) {
      this.tail?.push({ bytes, admittedId });
      this.recordsSinceCompaction += 1;
      if (admittedId !== undefined) {
        this.live.set(admittedId, { offset, length: bytes.length - 1, patch: {} });
        this.liveBytes += bytes.length - 1;
      }
      offset += bytes.length;
    }
    this.size = offset;
    this.compactIfDue();
    for (const record of group) record.done();
  }

  /**
   * Starts a compaction when the file has outgrown the live state. Called inside the chain,
   * after `live` reflects the write just made, so the snapshot and the tail between them hold
   * every record.
   */
  private compactIfDue(): void {
    if (this.tail || this.closed) return;
    const minRecords = this.minRecords ?? Math.max(200, 4 * this.live.size);
    if (this.size > 2 * this.liveBytes + this.slackBytes || this.recordsSinceCompaction > minRecords)
      this.compaction = this.compact();
  }

  /**
   * Copies the live state into a temp file while appends go on, then (inside the chain) adds the
   * records written meanwhile, syncs and renames. A crash before the rename leaves the old file
   * whole (and a temp file the next start deletes); after it, the new file is whole.
   */
  private async compact(): Promise<void> {
    const temp = tempPathBeside(this.path);
    const snapshot = [...this.live].map(([id, entry]) => ({ id, ...entry, patch: { ...entry.patch } }));
    const paused = this.paused;
    const source = this.fd;
    this.tail = [];
    let tempFd: number | undefined;
    try {
      tempFd = await openAsync(temp, "wx+");
      const offsets = new Map<string, number>();
      let size = 0;
      const put = async (bytes: Buffer) => {
        await writeFully(tempFd!, bytes, size);
        size += bytes.length;
      };
      await put(recordBytes({ type: "paused", paused }));
      // One buffer, grown to the largest line, serves every copy: big allocations cost GC pauses.
      let buffer = Buffer.allocUnsafe(0);
      for (const entry of snapshot) {
        if (buffer.length < entry.length + 1) buffer = Buffer.allocUnsafe(entry.length + 1);
        const line = buffer.subarray(0, entry.length + 1);
        await readFully(source, line, entry.length, entry.offset);
        line[entry.length] = 0x0a;
        offsets.set(entry.id, size);
        await put(line);
        if (Object.keys(entry.patch).length > 0)
          await put(recordBytes({ type: "state", id: entry.id, patch: entry.patch }));
      }
      await fdatasyncAsync(tempFd);
      await this.serial(async () => {
        for (const record of this.tail ?? []) {
          if (record.admittedId) offsets.set(record.admittedId, size);
          await put(record.bytes);
        }
        await fdatasyncAsync(tempFd!);
        await renameAsync(temp, this.path);
        await syncFolder(dirname(this.path));
        const old = this.fd;
        this.fd = tempFd!;
        tempFd = undefined;
        this.size = size;
        this.tail = undefined;
        this.recordsSinceCompaction = 0;
        this.compactions += 1;
        for (const [id, entry] of this.live) {
          const offset = offsets.get(id);
          if (offset !== undefined) entry.offset = offset;
        }
        await closeAsync(old).catch(() => undefined);
      });
    } catch (error) {
      this.tail = undefined;
      this.recordsSinceCompaction = 0;
      if (tempFd !== undefined) await closeAsync(tempFd).catch(() => undefined);
      await unlinkAsync(temp).catch(() => undefined);
      this.log(`queue journal: compaction failed (${describe(error)}); the journal goes on uncompacted`);
    }
  }
}

/** Replays journal bytes: the queue's state, and where each live job's admission line sits. */
function replay(buffer: Buffer): { restored: RestoredQueue; live: Map<string, LiveJob> } {
  const jobs = new Map<string, { job: Job; position: number; bytes: number }>();
  const live = new Map<string, LiveJob>();
  let paused = false;
  let skippedRecords = 0;
  for (let start = 0; start < buffer.length;) {
    const newline = buffer.indexOf(0x0a, start);
    const end = newline === -1 ? buffer.length : newline;
    const text = buffer.toString("utf8", start, end);
    const offset = start;
    start = end + 1;
    if (text.trim() === "") continue;
    let record: JournalRecord;
    try {
      const parsed = JournalRecordSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw parsed.error;
      record = parsed.data;
    } catch {
      skippedRecords += 1;
      continue;
    }
    if (record.type === "job") {
      jobs.set(record.job.id, { job: record.job, position: record.position, bytes: end - offset });
      live.set(record.job.id, { offset, length: end - offset, patch: {} });
    } else if (record.type === "state") {
      const stored = jobs.get(record.id);
      if (!stored) continue;
      const { position, ...state } = record.patch;
      Object.assign(stored.job, state);
      if (position !== undefined) stored.position = position;
      Object.assign(live.get(record.id)!.patch, record.patch);
    } else if (record.type === "delete") {
      jobs.delete(record.id);
      live.delete(record.id);
    } else paused = record.paused;
  }
  return { restored: { paused, jobs: [...jobs.values()], skippedRecords }, live };
}

/** The compacted file: the paused flag, then each live job's admission line and its merged state. */
function snapshotFile(
  paused: boolean,
  live: Map<string, LiveJob>,
  lineOf: (entry: LiveJob) => Buffer,
): { bytes: Buffer; offsets: Map<string, number> } {
  const parts: Buffer[] = [recordBytes({ type: "paused", paused })];
  const offsets = new Map<string, number>();
  let size = parts[0].length;
  for (const [id, entry] of live) {
    offsets.set(id, size);
    const line = lineOf(entry);
    parts.push(line, Buffer.from("\n"));
    size += line.length + 1;
    if (Object.keys(entry.patch).length > 0) {
      const state = recordBytes({ type: "state", id, patch: entry.patch });
      parts.push(state);
      size += state.length;
    }
  }
  return { bytes: Buffer.concat(parts), offsets };
}

function recordBytes(record: JournalRecord): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`, "utf8");
}

async function writeFully(fd: number, bytes: Buffer, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await writeAsync(fd, bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error("the write made no progress");
    done += bytesWritten;
  }
}

async function readFully(fd: number, into: Buffer, length: number, position: number): Promise<void> {
  for (let done = 0; done < length;) {
    const { bytesRead } = await readAsync(fd, into, done, length - done, position + done);
    if (bytesRead <= 0) throw new Error(`the journal ended before byte ${position + length}`);
    done += bytesRead;
  }
}

/** Why a job could not be serialised, in words a user can act on. */
function unstorableReason(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message))
    return "the job cannot be stored: its data is nested too deeply (flatten the workflow's editor data or node inputs)";
  return `the job cannot be stored: ${describe(error)}`;
}

function describe(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}

function tempPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.compact.tmp`);
}

/** Deletes temp files beside `path` that a compaction (or an atomic write) killed mid-way left. */
function removeTempFiles(path: string): number {
  const prefix = `.${basename(path)}.`;
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    try {
      unlinkSync(join(dirname(path), name));
      removed += 1;
    } catch {
      // already gone
    }
  }
  return removed;
}

/** fsync on the folder makes the rename durable; best effort (as in atomic-write.ts). */
async function syncFolder(folder: string): Promise<void> {
  try {
    const fd = await openAsync(folder, "r");
    await promisify(fsync)(fd).finally(() => closeAsync(fd));
  } catch {
    // some platforms cannot sync a folder; the rename is still atomic
  }
}

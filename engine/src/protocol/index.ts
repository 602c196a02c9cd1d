import { z } from "zod";
import { NodeCatalogSchema } from "../graph/node-schema.ts";
import { ProblemSchema } from "../graph/problem.ts";
import { AnyVersionWorkflowSchema } from "../graph/parse.ts";

/**
 * The protocol between the editor and the server, in one file: REST bodies and socket.io
 * events. The server validates with these schemas; both sides take their types from them.
 * Pure: no Node or DOM imports.
 *
 * REST (all JSON unless noted; state-changing requests carry the `x-infix-token` header
 * with the token the server puts in the page as <meta name="infix-token">):
 *   GET    /api/config                      → Config
 *   GET    /api/nodes                       → NodeCatalog
 *   GET    /api/packages                    → { packages: NodePackageInfo[] }
 *   POST   /api/jobs            SubmitJob   → 201 { job: JobSummary } | 400 { error, problems }
 *   GET    /api/jobs?limit=<n>              → QueueState (the first n waiting jobs, default 100; `omitted` counts the rest)
 *   GET    /api/jobs/:id                    → Job
 *   POST   /api/jobs/:id/cancel             → { job: JobSummary }
 *   POST   /api/jobs/:id/front              → QueueState   (move a queued job to the front)
 *   DELETE /api/jobs/:id                    → 204          (queued or finished jobs)
 *   POST   /api/queue/pause | /api/queue/resume → QueueState
 *   GET    /api/examples                    → { examples: ExampleInfo[] }
 *   GET    /api/examples/:name              → Workflow
 *   GET    /api/workflows                   → { workflows: SavedWorkflowInfo[] }
 *   GET    /api/workflows/:name             → Workflow (latest version)
 *   PUT    /api/workflows/:name  Workflow   → SavedWorkflowInfo  (each save is a new version)
 *   GET    /api/workflows/:name/versions    → { versions: WorkflowVersionInfo[] }
 *   GET    /api/workflows/:name/versions/:v → Workflow
 *   DELETE /api/workflows/:name             → 204
 *   POST   /api/uploads?name=<file name>  raw bytes of a PNG/JPEG/WebP image, a .npy array or a
 *                                    kind a node package declares (NodePackage.uploadKinds, by
 *                                    suffix) → { file: FileRef } in input/ (size-capped, checked
 *                                    by content; 413 too big, 415 refused, listing what is accepted)
 *   GET    /api/files/:folder/<path>        → the file (folder: input | output | temp)
 *   POST   /api/workflow-from-png  raw PNG bytes → Workflow (the one embedded by Save Image)
 *   GET    /api/cache                       → CacheStats
 *   DELETE /api/cache                       → CacheStats
 * Errors: 4xx/5xx { error: string, problems?: Problem[] }.
 */

export const FileRefSchema = z.object({ folder: z.enum(["input", "output", "temp"]), name: z.string() });
export type FileRefMessage = z.infer<typeof FileRefSchema>;

export const UiResultSchema = z.object({
  images: z.array(FileRefSchema.extend({ width: z.number(), height: z.number() })).optional(),
  text: z.array(z.string()).optional(),
});
export type UiResultMessage = z.infer<typeof UiResultSchema>;

export const JobStatusSchema = z.enum(["queued", "running", "succeeded", "failed", "cancelled"]);
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const NodeRunStatusSchema = z.enum(["pending", "running", "cached", "done", "failed", "skipped"]);
export type NodeRunStatus = z.infer<typeof NodeRunStatusSchema>;

export const NodeRunStateSchema = z.object({
  status: NodeRunStatusSchema,
  /** Wall time of the node's own run, ms. */
  ms: z.number().optional(),
  progress: z.object({ step: z.number(), total: z.number() }).optional(),
  error: ProblemSchema.optional(),
  ui: UiResultSchema.optional(),
});
export type NodeRunState = z.infer<typeof NodeRunStateSchema>;

export const SubmitJobSchema = z.object({
  /** Any supported version; older ones are migrated. */
  workflow: AnyVersionWorkflowSchema,
  /** Node ids to run up to ("run to here"); absent = every active output node. */
  targets: z.array(z.string()).optional(),
  /** Put the job at the front of the queue. */
  front: z.boolean().optional(),
  /** Free text the editor shows in the queue panel (e.g. the workflow tab's name). */
  label: z.string().max(200).optional(),
  /** Which client submitted it (socket id), so it can pick out its own results. */
  clientId: z.string().optional(),
});
export type SubmitJob = z.infer<typeof SubmitJobSchema>;

export const JobSummarySchema = z.object({
  id: z.string(),
  status: JobStatusSchema,
  label: z.string().optional(),
  clientId: z.string().optional(),
  createdAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  error: ProblemSchema.optional(),
  /** Counts for the queue panel. */
  nodeCount: z.number(),
  /** Set in queue listings while a queued job is handed to a farm and no worker has taken it yet. */
  awaitingWorker: z.literal(true).optional(),
});
export type JobSummary = z.infer<typeof JobSummarySchema>;

export const JobSchema = JobSummarySchema.extend({
  /** Any supported version (a journal written before an upgrade), migrated. */
  workflow: AnyVersionWorkflowSchema,
  targets: z.array(z.string()).optional(),
  nodes: z.record(z.string(), NodeRunStateSchema),
});
export type Job = z.infer<typeof JobSchema>;

export const QueueStateSchema = z.object({
  paused: z.boolean(),
  /** Running job first, then queued in order, then history (newest first, bounded). */
  jobs: z.array(JobSummarySchema),
  /**
   * Set on the socket's `queue` summary, which lists only the first waiting and the newest
   * finished jobs: how many of each it leaves out (GET /api/jobs lists them all).
   */
  omitted: z.object({ queued: z.number(), finished: z.number() }).optional(),
});
export type QueueState = z.infer<typeof QueueStateSchema>;

/**
 * What a node package offers besides node types, for the editor to list: its resource kinds
 * (e.g. the BLIP-Diffusion package's model packs), the resources installed now, and notices.
 * The package fills these in (NodePackage.describe); the server validates each resource's
 * `details` against its kind's schema and publishes that schema, so the editor can show
 * details it has no words for.
 */
export const ResourceKindInfoSchema = z.object({
  kind: z.string(),
  /** What one is called in messages, e.g. "model pack". */
  title: z.string(),
  /** How to get one that is missing: text where `code` is in backticks and URLs are links. */
  help: z.string().optional(),
  /** JSON Schema of the `details` of this kind's resources. */
  detailsSchema: z.record(z.string(), z.unknown()).optional(),
});
export type ResourceKindInfo = z.infer<typeof ResourceKindInfoSchema>;

export const PackageResourceSchema = z.object({
  kind: z.string(),
  /** What node inputs and workflow requirements name it by. */
  id: z.string(),
  title: z.string(),
  /** One line said beside it instead of its title and size (e.g. what an embedded test resource is for). */
  description: z.string().optional(),
  bytes: z.number().optional(),
  /** Why it cannot be used (it failed to load, or its details are malformed). */
  error: z.string().optional(),
  /** Free-form facts, valid against the kind's `detailsSchema`. */
  details: z.record(z.string(), z.unknown()),
});
export type PackageResource = z.infer<typeof PackageResourceSchema>;

export const PackageNoticeSchema = z.object({
  /** Stable per notice, so a dismissal is remembered. */
  id: z.string(),
  level: z.enum(["info", "warning"]),
  /** One sentence; `code` in backticks and URLs are shown as such. */
  text: z.string(),
});
export type PackageNotice = z.infer<typeof PackageNoticeSchema>;

export const NodePackageInfoSchema = z.object({
  name: z.string(),
  kinds: z.array(ResourceKindInfoSchema),
  resources: z.array(PackageResourceSchema),
  notices: z.array(PackageNoticeSchema),
});
export type NodePackageInfo = z.infer<typeof NodePackageInfoSchema>;

export const ConfigSchema = z.object({
  version: z.string(),
  maxUploadBytes: z.number(),
});
export type Config = z.infer<typeof ConfigSchema>;

export const ExampleInfoSchema = z.object({ name: z.string(), title: z.string(), description: z.string() });
export type ExampleInfo = z.infer<typeof ExampleInfoSchema>;

export const SavedWorkflowInfoSchema = z.object({ name: z.string(), versions: z.number(), updatedAt: z.number() });
export type SavedWorkflowInfo = z.infer<typeof SavedWorkflowInfoSchema>;

export const WorkflowVersionInfoSchema = z.object({ version: z.number(), savedAt: z.number(), bytes: z.number() });
export type WorkflowVersionInfo = z.infer<typeof WorkflowVersionInfoSchema>;

export const CacheStatsSchema = z.object({
  entries: z.number(),
  bytes: z.number(),
  budgetBytes: z.number(),
  hits: z.number(),
  misses: z.number(),
  evictions: z.number(),
});
export type CacheStats = z.infer<typeof CacheStatsSchema>;

export const ErrorBodySchema = z.object({ error: z.string(), problems: z.array(ProblemSchema).optional() });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export { NodeCatalogSchema };

/**
 * Server → client socket.io events. Every socket gets `queue`, a bounded summary, on connect
 * and then at most a few times a second. A job's own events (`job:*` but the summary, `node:*`,
 * `progress`, `preview`) go only to the sockets watching it: the one whose id the job was
 * submitted with (`clientId`), and those that sent `jobs:watch` for it.
 */
export interface ServerToClientEvents {
  queue: (state: QueueState) => void;
  /** Full state of a job, sent when a socket starts watching it, so a reconnected editor catches up. */
  "job:state": (job: Job) => void;
  "job:queued": (job: JobSummary) => void;
  "job:started": (e: { jobId: string }) => void;
  "job:succeeded": (e: { jobId: string }) => void;
  "job:failed": (e: { jobId: string; error: z.infer<typeof ProblemSchema> }) => void;
  "job:cancelled": (e: { jobId: string }) => void;
  "node:started": (e: { jobId: string; nodeId: string }) => void;
  "node:cached": (e: { jobId: string; nodeId: string; ui?: UiResultMessage }) => void;
  "node:finished": (e: { jobId: string; nodeId: string; ms: number; ui?: UiResultMessage }) => void;
  "node:failed": (e: { jobId: string; nodeId: string; error: z.infer<typeof ProblemSchema> }) => void;
  /** Throttled on the server: the latest per node, about every 50 ms. */
  progress: (e: { jobId: string; nodeId: string; step: number; total: number }) => void;
  /** A live preview picture: `image` is a data: URL (PNG or JPEG). */
  preview: (e: { jobId: string; nodeId: string; image: string }) => void;
}

/** Most jobs one socket may watch at once, its own submissions included. */
export const MAX_WATCHED_JOBS = 1024;

/** The body of `jobs:watch` / `jobs:unwatch`: job ids, at most 100 per message. */
export const WatchJobsSchema = z.array(z.string().min(1).max(100)).min(1).max(100);

/** The answer to `jobs:watch`: the jobs now watched, the ids the server does not know, or why it refused. */
export const WatchReplySchema = z.object({
  watching: z.array(z.string()),
  unknown: z.array(z.string()),
  error: z.string().optional(),
});
export type WatchReply = z.infer<typeof WatchReplySchema>;

/**
 * Client → server. Everything state-changing goes over REST; a socket only chooses which
 * jobs' events it gets. `jobs:watch` sends each known job's `job:state` at once, then its
 * events until it ends; a finished job's state is sent without watching it.
 */
export interface ClientToServerEvents {
  "jobs:watch": (jobIds: string[], ack?: (reply: WatchReply) => void) => void;
  "jobs:unwatch": (jobIds: string[]) => void;
}

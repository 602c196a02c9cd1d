import type { NodeCatalog, Problem, Workflow } from "@infix/graph";
import {
  ConfigSchema,
  ErrorBodySchema,
  NodeCatalogSchema,
  NodePackageInfoSchema,
  type CacheStats,
  type Config,
  type ExampleInfo,
  type FileRefMessage,
  type Job,
  type JobSummary,
  type NodePackageInfo,
  type QueueState,
  type SavedWorkflowInfo,
  type SubmitJob,
  type WorkflowVersionInfo,
} from "@infix/protocol";

/**
 * The REST half of the protocol (engine/src/protocol/index.ts), typed from its schemas.
 * Every call resolves to a value, never throws: a failed request says its HTTP status,
 * the server's message and any problems it named, so a 400 from POST /api/jobs can mark
 * the offending nodes.
 */

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export interface ApiError {
  /** HTTP status, or 0 when the server could not be reached. */
  status: number;
  message: string;
  problems: Problem[];
}

/** Reads the token the server injects as <meta name="infix-token">; state-changing requests carry it. */
export function readPageToken(doc: Document | undefined = globalThis.document): string | undefined {
  return doc?.querySelector('meta[name="infix-token"]')?.getAttribute("content") ?? undefined;
}

export interface ApiClientOptions {
  /** Origin and prefix; "" means same origin. */
  baseUrl?: string;
  token?: string;
  fetch?: typeof fetch;
}

/** Creates the typed REST client. Example: `const api = createApiClient({ token: readPageToken() })`. */
export function createApiClient(options: ApiClientOptions = {}) {
  const baseUrl = options.baseUrl ?? "";
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));

  async function request<T>(
    method: string,
    path: string,
    body?: unknown,
    parse?: (json: unknown) => T,
  ): Promise<ApiResult<T>> {
    const headers: Record<string, string> = {};
    let payload: BodyInit | undefined;
    if (body instanceof Blob || body instanceof ArrayBuffer || body instanceof Uint8Array) {
      headers["content-type"] = body instanceof Blob && body.type ? body.type : "application/octet-stream";
      payload = body as BodyInit;
    } else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    if (method !== "GET" && options.token) headers["x-infix-token"] = options.token;
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}`, { method, headers, body: payload });
    } catch (error) {
      return {
        ok: false,
        error: {
          status: 0,
          message: `Cannot reach the server: ${String(error)}. Is \`infix serve\` running?`,
          problems: [],
        },
      };
    }
    if (response.status === 204) return { ok: true, value: undefined as T };
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const parsed = ErrorBodySchema.safeParse(json);
      return {
        ok: false,
        error: parsed.success
          ? { status: response.status, message: parsed.data.error, problems: parsed.data.problems ?? [] }
          : { status: response.status, message: `${response.status} ${response.statusText}`, problems: [] },
      };
    }
    if (!parse) return { ok: true, value: json as T };
    try {
      return { ok: true, value: parse(json) };
    } catch (error) {
      return {
        ok: false,
        error: { status: response.status, message: `Unexpected reply from ${path}: ${String(error)}`, problems: [] },
      };
    }
  }

  const enc = encodeURIComponent;
  return {
    config: () => request<Config>("GET", "/api/config", undefined, (j) => ConfigSchema.parse(j)),
    nodes: () => request<NodeCatalog>("GET", "/api/nodes", undefined, (j) => NodeCatalogSchema.parse(j)),
    packages: () =>
      request<NodePackageInfo[]>("GET", "/api/packages", undefined, (j) =>
        NodePackageInfoSchema.array().parse((j as { packages?: unknown }).packages),
      ),
    submitJob: (job: SubmitJob) => request<{ job: JobSummary }>("POST", "/api/jobs", job),
    queue: () => request<QueueState>("GET", "/api/jobs"),
    job: (id: string) => request<Job>("GET", `/api/jobs/${enc(id)}`),
    cancelJob: (id: string) => request<{ job: JobSummary }>("POST", `/api/jobs/${enc(id)}/cancel`),
    frontJob: (id: string) => request<QueueState>("POST", `/api/jobs/${enc(id)}/front`),
    deleteJob: (id: string) => request<void>("DELETE", `/api/jobs/${enc(id)}`),
    pauseQueue: () => request<QueueState>("POST", "/api/queue/pause"),
    resumeQueue: () => request<QueueState>("POST", "/api/queue/resume"),
    examples: () => request<{ examples: ExampleInfo[] }>("GET", "/api/examples"),
    example: (name: string) => request<Workflow>("GET", `/api/examples/${enc(name)}`),
    workflows: () => request<{ workflows: SavedWorkflowInfo[] }>("GET", "/api/workflows"),
    workflow: (name: string) => request<Workflow>("GET", `/api/workflows/${enc(name)}`),
    saveWorkflow: (name: string, workflow: Workflow) =>
      request<SavedWorkflowInfo>("PUT", `/api/workflows/${enc(name)}`, workflow),
    workflowVersions: (name: string) =>
      request<{ versions: WorkflowVersionInfo[] }>("GET", `/api/workflows/${enc(name)}/versions`),
    workflowVersion: (name: string, version: number) =>
      request<Workflow>("GET", `/api/workflows/${enc(name)}/versions/${version}`),
    deleteWorkflow: (name: string) => request<void>("DELETE", `/api/workflows/${enc(name)}`),
    upload: (name: string, bytes: Blob) =>
      request<{ file: FileRefMessage }>("POST", `/api/uploads?name=${enc(name)}`, bytes),
    workflowFromPng: (bytes: Blob) => request<unknown>("POST", "/api/workflow-from-png", bytes),
    cacheStats: () => request<CacheStats>("GET", "/api/cache"),
    clearCache: () => request<CacheStats>("DELETE", "/api/cache"),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** URL of a stored file; the server serves GET /api/files/<folder>/<path>. */
export function fileUrl(ref: FileRefMessage, baseUrl = ""): string {
  return `${baseUrl}/api/files/${ref.folder}/${ref.name.split("/").map(encodeURIComponent).join("/")}`;
}

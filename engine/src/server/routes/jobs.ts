import { Router, type NextFunction, type Request, type Response } from "express";
import type { JobQueue, QueueRefusal, QueueResult } from "../../queue/job-queue.ts";
import { parseBody, sendError } from "../http-errors.ts";
import { SubmitJobSchema } from "../../protocol/index.ts";

/** Job and queue routes: submit, list, inspect, cancel, move to front, delete, pause/resume. */
export function jobRoutes(queue: JobQueue): Router {
  const router = Router();

  router.post("/jobs", async (req, res) => {
    const submit = parseBody(res, SubmitJobSchema, req.body);
    if (!submit) return;
    const result = await queue.submit(submit);
    if (!result.ok) {
      if (result.reason === "full") res.setHeader("Retry-After", "1");
      return sendError(res, STATUS_OF[result.reason], result.error, result.problems);
    }
    res.status(201).json({ job: result.value });
  });

  router.get("/jobs", (req, res) => {
    const limit = req.query.limit ?? String(DEFAULT_LISTED_QUEUED);
    if (typeof limit !== "string" || !/^[1-9]\d{0,5}$/.test(limit))
      return sendError(res, 400, "limit is how many waiting jobs to list: a whole number from 1 to 999999");
    res.json(queue.state(Number(limit)));
  });

  router.get("/jobs/:id", (req, res) => {
    const job = queue.get(req.params.id);
    if (!job) return sendError(res, 404, `no job with id ${req.params.id}`);
    res.json(job);
  });

  router.post("/jobs/:id/cancel", (req, res) => {
    reply(res, queue.cancel(req.params.id), (job) => ({ job }));
  });

  router.post("/jobs/:id/front", (req, res) => {
    reply(res, queue.moveToFront(req.params.id), (state) => state);
  });

  router.delete("/jobs/:id", (req, res) => {
    const result = queue.remove(req.params.id);
    if (!result.ok) return sendError(res, STATUS_OF[result.reason], result.error);
    res.status(204).end();
  });

  router.post("/queue/pause", (_req, res) => {
    res.json(queue.pause());
  });

  router.post("/queue/resume", (_req, res) => {
    res.json(queue.resume());
  });

  return router;
}

/** Waiting jobs GET /api/jobs lists unless `?limit=` says otherwise (a full queue holds 1,000). */
export const DEFAULT_LISTED_QUEUED = 100;

/**
 * Answers a submission 429 before its body is read or parsed while the queue is full: under
 * load, most submissions are refused, and parsing and validating each first cost the server
 * more than the jobs it ran. Mounted before the body parsers.
 */
export function refuseWhenFull(queue: JobQueue) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== "POST" || req.path !== "/jobs" || !queue.isFull()) return next();
    res.setHeader("Retry-After", "1");
    sendError(res, 429, `the queue holds ${queue.maxQueuedJobs} waiting jobs, its limit; try later`);
  };
}

/**
 * The queue's refusals as HTTP: the client's fault is a 4xx; a full queue is back-pressure,
 * 429 with Retry-After (the client may submit again shortly; nothing is wrong with the server);
 * a store that could not write (a full disk) is 503, a server fault, and the queue goes on.
 */
const STATUS_OF: Record<QueueRefusal, number> = {
  invalid: 400,
  unstorable: 400,
  not_found: 404,
  conflict: 409,
  full: 429,
  store_failed: 503,
  closed: 503,
};

function reply<T>(res: Response, result: QueueResult<T>, body: (value: T) => unknown): void {
  if (!result.ok) {
    if (result.reason === "full") res.setHeader("Retry-After", "1");
    return sendError(res, STATUS_OF[result.reason], result.error, result.problems);
  }
  res.json(body(result.value));
}

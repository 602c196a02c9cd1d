import { Router, type Response } from "express";
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

  router.get("/jobs", (_req, res) => {
    res.json(queue.state());
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

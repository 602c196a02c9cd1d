import { Router, type Response } from "express";
import type { JobQueue, QueueResult } from "../../queue/job-queue.ts";
import { parseBody, sendError } from "../http-errors.ts";
import { SubmitJobSchema } from "../../protocol/index.ts";

/** Job and queue routes: submit, list, inspect, cancel, move to front, delete, pause/resume. */
export function jobRoutes(queue: JobQueue): Router {
  const router = Router();

  router.post("/jobs", (req, res) => {
    const submit = parseBody(res, SubmitJobSchema, req.body);
    if (!submit) return;
    const result = queue.submit(submit);
    if (!result.ok) return sendError(res, result.status, result.error, result.problems);
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
    if (!result.ok) return sendError(res, result.status, result.error);
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

function reply<T>(res: Response, result: QueueResult<T>, body: (value: T) => unknown): void {
  if (!result.ok) return sendError(res, result.status, result.error, result.problems);
  res.json(body(result.value));
}

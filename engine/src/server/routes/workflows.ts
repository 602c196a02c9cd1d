import { Router } from "express";
import type { WorkflowStore } from "../../files/workflow-store.ts";
import { checkWorkflowName, WorkflowFolderError } from "../../files/workflow-store.ts";
import { AnyVersionWorkflowSchema } from "../../graph/parse.ts";
import { parseBody, sendError } from "../http-errors.ts";

/** Saved workflows: list, read (latest or a version), save as a new version, delete. */
export function workflowRoutes(store: WorkflowStore): Router {
  const router = Router();

  router.get("/workflows", async (_req, res) => {
    res.json({ workflows: await store.list() });
  });

  // Every route below takes a :name; refuse unsafe names before anything touches the disk.
  router.param("name", (req, res, next, name: string) => {
    const problem = checkWorkflowName(name);
    if (problem !== null) return sendError(res, 400, problem);
    next();
  });

  router.get("/workflows/:name", async (req, res) => {
    const workflow = await store.read(req.params.name);
    if (!workflow) return sendError(res, 404, `no saved workflow named '${req.params.name}'`);
    res.json(workflow);
  });

  router.put("/workflows/:name", async (req, res) => {
    const workflow = parseBody(res, AnyVersionWorkflowSchema, req.body);
    if (!workflow) return;
    try {
      res.json(await store.save(req.params.name, workflow));
    } catch (error) {
      if (error instanceof WorkflowFolderError) return sendError(res, 409, error.message);
      throw error;
    }
  });

  router.get("/workflows/:name/versions", async (req, res) => {
    const versions = await store.versions(req.params.name);
    if (versions.length === 0) return sendError(res, 404, `no saved workflow named '${req.params.name}'`);
    res.json({ versions });
  });

  router.get("/workflows/:name/versions/:version", async (req, res) => {
    const version = Number(req.params.version);
    if (!Number.isInteger(version) || version < 1) return sendError(res, 400, "versions are whole numbers from 1");
    const workflow = await store.read(req.params.name, version);
    if (!workflow) return sendError(res, 404, `'${req.params.name}' has no version ${version}`);
    res.json(workflow);
  });

  router.delete("/workflows/:name", async (req, res) => {
    if (!(await store.remove(req.params.name)))
      return sendError(res, 404, `no saved workflow named '${req.params.name}'`);
    res.status(204).end();
  });

  return router;
}

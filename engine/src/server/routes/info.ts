import { Router } from "express";
import type { NodeCatalog } from "../../graph/node-schema.ts";
import type { ExamplesProvider } from "../examples.ts";
import { sendError } from "../http-errors.ts";
import type { CacheStats, Config, NodePackageInfo } from "../../protocol/index.ts";

/** The output cache as the server sees it: statistics and a way to empty it. */
/** The node output cache, here or in a worker (hence the promises). */
export interface CacheControl {
  stats(): CacheStats | Promise<CacheStats>;
  clear(): void | Promise<void>;
}

export interface InfoSources {
  config: Config;
  catalog: () => NodeCatalog;
  packages: () => NodePackageInfo[] | Promise<NodePackageInfo[]>;
  examples: ExamplesProvider;
  cache?: CacheControl;
}

/** Read-mostly routes: config, node catalog, node package info, examples, cache statistics. */
export function infoRoutes(sources: InfoSources): Router {
  const router = Router();

  router.get("/config", (_req, res) => {
    res.json(sources.config);
  });

  router.get("/nodes", (_req, res) => {
    res.json(sources.catalog());
  });

  router.get("/packages", async (_req, res) => {
    res.json({ packages: await sources.packages() });
  });

  router.get("/examples", async (_req, res) => {
    res.json({ examples: await sources.examples.list() });
  });

  router.get("/examples/:name", async (req, res) => {
    const workflow = await sources.examples.read(req.params.name);
    if (!workflow) return sendError(res, 404, `no example named '${req.params.name}'`);
    res.json(workflow);
  });

  router.get("/cache", async (_req, res) => {
    if (!sources.cache) return sendError(res, 404, "this server runs without an output cache");
    res.json(await sources.cache.stats());
  });

  router.delete("/cache", async (_req, res) => {
    if (!sources.cache) return sendError(res, 404, "this server runs without an output cache");
    await sources.cache.clear();
    res.json(await sources.cache.stats());
  });

  return router;
}

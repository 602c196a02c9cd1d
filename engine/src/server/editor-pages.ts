import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import express, { Router } from "express";

/**
 * Serves the built editor. index.html gets `<meta name="infix-token">` injected so the page
 * (and only a page served by us) can make state-changing requests; every other path that is
 * not a file falls back to index.html for client-side routing.
 */
export function editorPages(editorDist: string | undefined, token: string): Router {
  const router = Router();
  const indexPath = editorDist ? join(editorDist, "index.html") : undefined;
  if (!indexPath || !existsSync(indexPath)) {
    router.get("/", (_req, res) => {
      res
        .type("html")
        .send(
          "<!doctype html><title>Infix</title><p>The editor is not built. Run <code>npm run build:editor</code> " +
            'or start with <code>infix serve --build-editor</code>; the API is at <a href="/api/config">/api</a>.</p>',
        );
    });
    return router;
  }
  const sendIndex = async (_req: express.Request, res: express.Response) => {
    const html = await readFile(indexPath, "utf8");
    const meta = `<meta name="infix-token" content="${token}">`;
    // The token must not be cached by a shared cache or outlive the server.
    res.setHeader("Cache-Control", "no-store");
    res.type("html").send(html.includes("<head>") ? html.replace("<head>", `<head>\n    ${meta}`) : `${meta}\n${html}`);
  };
  router.get(["/", "/index.html"], sendIndex);
  router.use(express.static(editorDist!, { index: false }));
  router.get(/^(?!\/api\/).*/, sendIndex);
  return router;
}

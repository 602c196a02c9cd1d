import { existsSync } from "node:fs";
import express, { Router } from "express";
import { openInside, readInside } from "../files/safe-path.ts";
import { streamFile } from "./stream-file.ts";

/**
 * Headers on every page: the editor must not be framed by another site (clickjacking: a
 * hidden frame over a decoy button could queue jobs or delete workflows with the user's
 * clicks). CSP frame-ancestors for current browsers, X-Frame-Options for older ones.
 */
export function pageHeaders(res: express.Response): void {
  res.setHeader("Content-Security-Policy", "frame-ancestors 'none'");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
}

/**
 * Serves the built editor. index.html gets `<meta name="infix-token">` injected so the page
 * (and only a page served by us) can make state-changing requests; every other path that is
 * not a file falls back to index.html for client-side routing. Files are opened through the
 * safe-path module, so a link placed in the build folder is never followed.
 */
export function editorPages(editorDist: string | undefined, token: string): Router {
  const router = Router();
  router.use((_req, res, next) => {
    pageHeaders(res);
    next();
  });
  if (!editorDist || !existsSync(editorDist)) {
    router.get("/", (_req, res) => res.type("html").send(NOT_BUILT_PAGE));
    return router;
  }
  const sendIndex = async (_req: express.Request, res: express.Response) => {
    const read = await readInside(editorDist, "index.html");
    if (!read.ok) return res.type("html").send(NOT_BUILT_PAGE);
    const html = new TextDecoder().decode(read.bytes);
    const meta = `<meta name="infix-token" content="${token}">`;
    // The token must not be cached by a shared cache or outlive the server.
    res.setHeader("Cache-Control", "no-store");
    res.type("html").send(html.includes("<head>") ? html.replace("<head>", `<head>\n    ${meta}`) : `${meta}\n${html}`);
  };
  router.get(["/", "/index.html"], sendIndex);
  router.get(/^(?!\/api\/).*/, async (req, res) => {
    let name: string;
    try {
      name = decodeURIComponent(req.path).replace(/^\/+/, "");
    } catch {
      return sendIndex(req, res);
    }
    // Dot files are never part of a build; other missing names are client-side routes.
    if (name === "" || name.split("/").some((part) => part.startsWith("."))) return sendIndex(req, res);
    const opened = await openInside(editorDist, name);
    if (!opened.ok) return sendIndex(req, res);
    streamFile(res, opened.file);
  });
  return router;
}

const NOT_BUILT_PAGE =
  "<!doctype html><title>Infix</title><p>The editor is not built. Run <code>npm run build:editor</code> " +
  'or start with <code>infix serve --build-editor</code>; the API is at <a href="/api/config">/api</a>.</p>';

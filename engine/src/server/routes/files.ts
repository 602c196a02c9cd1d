import express, { Router } from "express";
import type { FileStore, FolderName } from "../../files/file-store.ts";
import { FOLDER_NAMES } from "../../files/file-store.ts";
import { InfixError } from "../../graph/problem.ts";
import { sniffImageType } from "../../files/image-type.ts";
import { readWorkflowFromPng } from "../../files/png-metadata.ts";
import { FolderBudget } from "../../files/folder-budget.ts";
import { checkUploadContent } from "../../files/upload-content.ts";
import type { UploadKind } from "../../nodes/definition.ts";
import { streamFile } from "../stream-file.ts";
import { sendError } from "../http-errors.ts";

/** Routes that read the raw body themselves, so the API's JSON parser must leave theirs alone. */
export const RAW_BODY_ROUTES: ReadonlySet<string> = new Set(["/uploads", "/workflow-from-png"]);

/**
 * Uploads (images, .npy arrays and the node packages' declared `uploadKinds`; size-capped and
 * checked by content), file downloads, and workflow-from-PNG.
 */
export interface FileRouteOptions {
  /** Upload cap in bytes. */
  maxUploadBytes: number;
  /** The node packages' upload kinds. */
  uploadKinds: readonly UploadKind[];
  /** Largest picture accepted, width × height from its header. */
  maxImagePixels: number;
  /** Bytes the input folder may hold. */
  inputBudgetBytes: number;
}

export function fileRoutes(files: FileStore, options: FileRouteOptions): Router {
  const { maxUploadBytes, uploadKinds, maxImagePixels } = options;
  const budget = new FolderBudget(files.folders.input, options.inputBudgetBytes);
  const router = Router();
  // Any content type: browsers send image/png, curl sends application/octet-stream or nothing.
  const rawBody = express.raw({ type: () => true, limit: maxUploadBytes });

  router.post("/uploads", rawBody, async (req, res) => {
    const name = typeof req.query.name === "string" ? req.query.name : undefined;
    if (!name) return sendError(res, 400, "give the file name as ?name=<file name>");
    const bytes = bodyBytes(req.body);
    if (bytes.length === 0) return sendError(res, 400, "the upload is empty");
    const check = await checkUploadContent(bytes, name, uploadKinds, { maxPixels: maxImagePixels });
    if (!check.ok) return sendError(res, check.status ?? 415, check.message);
    const overBudget = await budget.reserve(bytes.length);
    if (overBudget !== null) return sendError(res, 413, overBudget);
    try {
      const file = await files.writeUnique("input", check.fileName, bytes, check.suffix);
      res.status(201).json({ file });
    } catch (error) {
      budget.release(bytes.length);
      // A name into a linked sub-folder, or a name with no free variant left: the client's to fix.
      if (error instanceof InfixError) return sendError(res, 409, error.message);
      throw error;
    }
  });

  router.get("/files/:folder/*path", async (req, res) => {
    const folder = req.params.folder as FolderName;
    if (!FOLDER_NAMES.includes(folder))
      return sendError(res, 404, `no folder '${req.params.folder}' (input, output or temp)`);
    const segments = req.params.path as unknown as string[];
    const name = segments.join("/");
    const opened = await files.openExisting(folder, name);
    if (!opened.ok) return sendError(res, opened.reason === "outside" ? 403 : 404, opened.message);
    // Hidden files (half-written uploads' temp files among them) are not served.
    if (segments.some((segment) => segment.startsWith("."))) {
      await opened.file.handle.close();
      return sendError(res, 404, `no file named '${name}'`);
    }
    // Served files are data, never pages: no sniffing into HTML, no scripts.
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'");
    streamFile(res, opened.file);
  });

  router.post("/workflow-from-png", rawBody, (req, res) => {
    const bytes = bodyBytes(req.body);
    if (sniffImageType(bytes) !== "png") return sendError(res, 415, "send the bytes of a PNG image");
    const workflow = readWorkflowFromPng(bytes);
    if (!workflow) return sendError(res, 422, "this PNG carries no Infix workflow");
    res.json(workflow);
  });

  return router;
}

function bodyBytes(body: unknown): Uint8Array {
  return Buffer.isBuffer(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array(0);
}

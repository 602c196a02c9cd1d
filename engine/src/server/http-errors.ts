import type { NextFunction, Request, Response } from "express";
import type { z } from "zod";
import { withoutAbsolutePaths, type Problem } from "../graph/problem.ts";
import type { ErrorBody } from "../protocol/index.ts";

/** Sends the protocol's error body, `{ error, problems? }`, with a 4xx/5xx status. */
export function sendError(res: Response, status: number, error: string, problems?: Problem[]): void {
  const body: ErrorBody = problems ? { error, problems } : { error };
  res.status(status).json(body);
}

/**
 * Parses a request body with a protocol schema; on failure sends 400 with one Problem per
 * zod issue (its path in `input`) and returns undefined.
 *
 * @example const submit = parseBody(res, SubmitJobSchema, req.body); if (!submit) return;
 */
export function parseBody<S extends z.ZodType>(res: Response, schema: S, body: unknown): z.infer<S> | undefined {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems: Problem[] = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    return {
      code: "invalid_body",
      message: path ? `${path}: ${issue.message}` : issue.message,
      input: path || undefined,
    };
  });
  sendError(res, 400, body === undefined ? "the request needs a JSON body" : "the request body is not valid", problems);
  return undefined;
}

/**
 * The last middleware: turns body-parser errors (malformed JSON → 400, too large → 413) and
 * anything a handler threw into a JSON error, so no request can take the server down.
 */
export function errorHandler(log: (message: string) => void) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(error);
    const status = httpStatusOf(error);
    if (status === 413) {
      const limit = (error as { limit?: unknown }).limit;
      return sendError(
        res,
        413,
        typeof limit === "number"
          ? `the request body is larger than this route's limit of ${limit} bytes`
          : errorMessage(error),
      );
    }
    if (status !== undefined && status >= 400 && status < 500) {
      const type = (error as { type?: string }).type;
      return sendError(
        res,
        status,
        type === "entity.parse.failed" ? "the request body is not valid JSON" : errorMessage(error),
      );
    }
    log(`request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    sendError(res, 500, `internal error: ${withoutAbsolutePaths(errorMessage(error))}`);
  };
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  if (typeof status === "number") return status;
  if (typeof statusCode === "number") return statusCode;
  return undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import { sendError } from "./http-errors.ts";

/**
 * Limits at the server's boundary: every request is refused with a 4xx naming the limit
 * before its body can cost memory, stack or event-loop time, and before anything reaches the
 * queue or the workflow store. The numbers are generous for real workflows (the editor's
 * 300-node bench graph is ~150 KB) and small against what a hostile body can do.
 */
export interface BoundaryLimits {
  /** Bytes of a JSON body that carries a workflow (POST /api/jobs, PUT /api/workflows/:name). */
  workflowBodyBytes: number;
  /** Bytes of any other JSON body. */
  smallBodyBytes: number;
  /** Nesting of arrays and objects in a JSON body (a 5,000-deep `editor` once overflowed the stack). */
  jsonDepth: number;
  /** Characters of one JSON string (a prompt, a note, a name). */
  stringLength: number;
  /** Entries of one JSON array or object. */
  containerEntries: number;
  /** Nodes of one workflow. */
  workflowNodes: number;
  /** Links of one workflow. */
  workflowLinks: number;
  /** Inputs of one node. */
  nodeInputs: number;
}

export const DEFAULT_LIMITS: BoundaryLimits = {
  // 1 MiB holds ~2,000 typical nodes; parsing and validating it stays within tens of ms of
  // event-loop time (a 3.3 MB body cost 100-300 ms on the shared 2-core test machine).
  workflowBodyBytes: 1024 * 1024,
  smallBodyBytes: 64 * 1024,
  jsonDepth: 64,
  stringLength: 64 * 1024,
  containerEntries: 20_000,
  workflowNodes: 2_000,
  workflowLinks: 10_000,
  nodeInputs: 256,
};

/**
 * Names that would reach an object's prototype if used as a key of a plain object
 * (`obj["__proto__"] = x` replaces the prototype instead of adding an entry). Refused as node
 * ids, input names and layout keys with a reason, so no lookup on the request path can hit them.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** A refusal at the boundary: the HTTP status and one sentence naming the limit. */
export class LimitError extends Error {
  readonly status: number;
  readonly expose = true;
  constructor(status: number, message: string) {
    super(message);
    this.name = "LimitError";
    this.status = status;
  }
}

/** Requests whose JSON body is a workflow (or carries one), so get the larger cap and the workflow checks. */
function carriesWorkflow(req: IncomingMessage): boolean {
  const path = ((req as Partial<Request>).originalUrl ?? req.url ?? "").split("?")[0];
  return (
    (req.method === "POST" && path === "/api/jobs") || (req.method === "PUT" && path.startsWith("/api/workflows/"))
  );
}

/**
 * Refuses a body whose declared Content-Length is over the route's cap at once, with 413 and
 * `Connection: close`, instead of reading (and discarding) the whole body first as the body
 * parsers do. `capOf` gives the cap of a request, or undefined for routes without a body cap.
 */
export function declaredLengthGuard(capOf: (req: Request) => number | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const cap = capOf(req);
    const declared = Number(req.headers["content-length"]);
    if (cap === undefined || !Number.isFinite(declared) || declared <= cap) return next();
    res.setHeader("Connection", "close");
    sendError(res, 413, `the request body is ${declared} bytes, over this route's limit of ${cap} bytes`);
    // Stop reading: the socket closes once the answer is flushed, whatever the client still sends.
    res.once("finish", () => req.socket.destroy());
  };
}

/** The JSON body cap of a request under these limits. */
export function jsonBodyCap(limits: BoundaryLimits, req: IncomingMessage): number {
  return carriesWorkflow(req) ? limits.workflowBodyBytes : limits.smallBodyBytes;
}

/**
 * The API's JSON body parser: the cap per route, then a scan of the raw text for nesting,
 * string length and container size before JSON.parse builds anything (body-parser's
 * `verify` hook runs between reading and parsing).
 */
export function jsonBodyParser(limits: BoundaryLimits) {
  const parserFor = (limit: number) =>
    express.json({
      limit,
      verify: (_req: IncomingMessage, _res: ServerResponse, buf: Buffer) => {
        const problem = scanJsonShape(buf, limits);
        if (problem !== null) throw new LimitError(problem.status, problem.message);
      },
    });
  const workflowParser = parserFor(limits.workflowBodyBytes);
  const smallParser = parserFor(limits.smallBodyBytes);
  return (req: Request, res: Response, next: NextFunction): void =>
    (carriesWorkflow(req) ? workflowParser : smallParser)(req, res, next);
}

/**
 * One pass over JSON text (no allocation per value) measuring nesting depth, string lengths
 * and entries per array/object. Returns the first limit exceeded, or null. Malformed JSON is
 * left for JSON.parse to report.
 *
 * @example scanJsonShape(Buffer.from("[[[]]]"), { ...DEFAULT_LIMITS, jsonDepth: 2 }) // → { status: 400, message: "... nests deeper than 2 ..." }
 */
export function scanJsonShape(
  bytes: Uint8Array,
  limits: Pick<BoundaryLimits, "jsonDepth" | "stringLength" | "containerEntries">,
): { status: 400 | 413; message: string } | null {
  // entries[d]: commas seen in the container at depth d (entries = commas + 1 when non-empty).
  const entries = new Uint32Array(limits.jsonDepth + 2);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0x22) {
      // A string: jump from quote to quote (memchr in Buffer.indexOf), skipping escaped ones.
      const start = i + 1;
      let end = start - 1;
      for (;;) {
        end = buffer.indexOf(0x22, end + 1);
        if (end < 0) return null; // unterminated: JSON.parse reports it
        let backslashes = 0;
        while (bytes[end - 1 - backslashes] === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      // Bytes, an upper bound of characters: close enough for a limit, and no decoding.
      if (end - start > limits.stringLength) {
        return { status: 413, message: `a string in the body is longer than ${limits.stringLength} characters` };
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > limits.jsonDepth) {
        return {
          status: 400,
          message: `the body nests objects and arrays deeper than ${limits.jsonDepth} levels`,
        };
      }
      entries[depth] = 0;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth > 0) depth--;
    } else if (c === 0x2c && depth > 0) {
      if (++entries[depth] >= limits.containerEntries) {
        return {
          status: 413,
          message: `an array or object in the body has more than ${limits.containerEntries} entries`,
        };
      }
    }
  }
  return null;
}

/**
 * Checks a parsed workflow document (plain JSON, before any schema turns it into objects)
 * against the node, link and input limits and the reserved names. Returns why it is refused,
 * or null. Runs before the queue and the workflow store see the workflow.
 */
export function checkWorkflowLimits(workflow: unknown, limits: BoundaryLimits): string | null {
  if (typeof workflow !== "object" || workflow === null) return null; // the schema reports it
  const { nodes, editor } = workflow as { nodes?: unknown; editor?: unknown };
  if (typeof nodes === "object" && nodes !== null) {
    const ids = Object.keys(nodes);
    if (ids.length > limits.workflowNodes) {
      return `the workflow has ${ids.length} nodes, over the limit of ${limits.workflowNodes}`;
    }
    let links = 0;
    for (const id of ids) {
      if (RESERVED_NAMES.has(id)) return reservedName("node id", id);
      const inputs = (Object.getOwnPropertyDescriptor(nodes, id)?.value as { inputs?: unknown } | undefined)?.inputs;
      if (typeof inputs !== "object" || inputs === null) continue;
      const names = Object.keys(inputs);
      if (names.length > limits.nodeInputs) {
        return `node '${id}' has ${names.length} inputs, over the limit of ${limits.nodeInputs}`;
      }
      for (const name of names) {
        if (RESERVED_NAMES.has(name)) return reservedName(`input name of node '${id}'`, name);
        const value: unknown = Object.getOwnPropertyDescriptor(inputs, name)?.value;
        if (typeof value === "object" && value !== null) {
          links++;
          const target = (value as { node?: unknown }).node;
          if (typeof target === "string" && RESERVED_NAMES.has(target)) return reservedName("linked node id", target);
        }
      }
    }
    if (links > limits.workflowLinks) {
      return `the workflow has ${links} links, over the limit of ${limits.workflowLinks}`;
    }
  }
  if (typeof editor === "object" && editor !== null) {
    const layout = (editor as { nodes?: unknown }).nodes;
    if (typeof layout === "object" && layout !== null) {
      for (const id of Object.keys(layout)) if (RESERVED_NAMES.has(id)) return reservedName("editor node id", id);
    }
  }
  return null;
}

/**
 * Express middleware applying {@link checkWorkflowLimits} to the workflow a request carries
 * (`body.workflow` for a job, the body itself for a save): 422 with the reason.
 */
export function workflowLimits(limits: BoundaryLimits) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!carriesWorkflow(req)) return next();
    const body: unknown = req.body;
    const workflow = req.method === "POST" ? (body as { workflow?: unknown } | undefined)?.workflow : body;
    const problem = checkWorkflowLimits(workflow, limits);
    if (problem === null) return next();
    sendError(res, 422, problem);
  };
}

function reservedName(what: string, name: string): string {
  return `'${name}' cannot be a ${what}: it is reserved in JavaScript objects; rename it`;
}

import { extname } from "node:path";
import type { Response } from "express";
import type { OpenedInside } from "../files/safe-path.ts";

/** Streams an opened file by its descriptor (the path is never opened again). */
export function streamFile(res: Response, file: OpenedInside): void {
  res.type(extname(file.path) || "application/octet-stream");
  res.setHeader("Content-Length", String(file.stats.size));
  const stream = file.handle.createReadStream({ autoClose: true });
  stream.on("error", () => res.destroy());
  res.on("close", () => stream.destroy());
  stream.pipe(res);
}

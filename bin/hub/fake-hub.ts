/**
 * Test support: a Hugging Face Hub stand-in on 127.0.0.1 serving local folders as repositories,
 * with the two endpoints `@huggingface/hub` calls for a download (`GET /api/models/<repo>/tree/
 * <rev>?recursive=…`, the listing with each file's checksum, and `GET /<repo>/resolve/<rev>/<path>`
 * with HTTP Range), so pull tests run without the internet. Faults are injected per file: a
 * connection dropped after some bytes, or a listed checksum that does not match the content.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

/** Files at least this big, and every weight file, are listed as Git LFS files (sha256), the rest as git blobs (sha1). */
const LFS_FROM_BYTES = 10_000;

export interface FakeHubFaults {
  /** `<repo>/<path>` → drop the connection after this many body bytes, this many times. */
  drop?: Map<string, { afterBytes: number; times: number }>;
  /** `<repo>/<path>` whose listed checksum is wrong (the content is not what the hub says). */
  wrongChecksum?: Set<string>;
}

export interface FakeHubRequest {
  url: string;
  range?: string;
  authorization?: string;
}

export interface FakeHub {
  url: string;
  requests: FakeHubRequest[];
  close(): Promise<void>;
}

function walk(folder: string, prefix = ""): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(path.join(folder, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

function treeEntries(folder: string, repo: string, faults: FakeHubFaults): unknown[] {
  const files = walk(folder).sort();
  const directories = [...new Set(files.filter((f) => f.includes("/")).map((f) => f.slice(0, f.lastIndexOf("/"))))];
  return [
    ...directories.map((dir) => ({ type: "directory", path: dir, size: 0, oid: "0".repeat(40) })),
    ...files.map((file) => {
      const content = readFileSync(path.join(folder, file));
      const lfs = content.length >= LFS_FROM_BYTES || /\.(safetensors|bin)$/.test(file);
      const gitOid = createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
      let sha256 = createHash("sha256").update(content).digest("hex");
      let oid = gitOid;
      if (faults.wrongChecksum?.has(`${repo}/${file}`)) {
        if (lfs) sha256 = "0".repeat(64);
        else oid = "0".repeat(40);
      }
      return {
        type: "file",
        path: file,
        size: content.length,
        oid,
        ...(lfs && { lfs: { oid: sha256, size: content.length, pointerSize: 134 } }),
      };
    }),
  ];
}

/**
 * Starts a fake hub serving `repos` (repository id → local folder) on 127.0.0.1 at a free port.
 *
 * @example
 * const hub = await startFakeHub(new Map([["org/pipe", "fixtures/pipe"]]));
 * process.env.HF_ENDPOINT = hub.url; // … then pull; await hub.close();
 */
export async function startFakeHub(repos: ReadonlyMap<string, string>, faults: FakeHubFaults = {}): Promise<FakeHub> {
  const requests: FakeHubRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    requests.push({
      url: url.pathname,
      ...(req.headers.range && { range: req.headers.range }),
      ...(req.headers.authorization && { authorization: req.headers.authorization }),
    });
    const notFound = () => {
      res.writeHead(404, { "X-Error-Code": "EntryNotFound", "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: "Entry not found" }));
    };
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/[^/]+$/.exec(url.pathname);
    if (tree) {
      const folder = repos.get(decodeURIComponent(tree[1]));
      if (!folder) {
        res.writeHead(404, { "X-Error-Code": "RepoNotFound", "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: "Repository not found" }));
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(treeEntries(folder, decodeURIComponent(tree[1]), faults)));
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(url.pathname);
    const repo = resolve && decodeURIComponent(resolve[1]);
    const folder = repo && repos.get(repo);
    if (!resolve || !folder) return notFound();
    const file = decodeURIComponent(resolve[2]);
    const full = path.resolve(folder, file);
    if (!full.startsWith(path.resolve(folder) + path.sep) || !statSync(full, { throwIfNoEntry: false })?.isFile()) {
      return notFound();
    }
    const content = readFileSync(full);
    const etag = `"${createHash("sha256").update(content).digest("hex")}"`;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), content.length - 1) : content.length - 1;
    const body = content.subarray(start, end + 1);
    res.writeHead(range ? 206 : 200, {
      ETag: etag,
      "Accept-Ranges": "bytes",
      "Content-Length": body.length,
      "Content-Type": "application/octet-stream",
      ...(range && { "Content-Range": `bytes ${start}-${end}/${content.length}` }),
    });
    const drop = faults.drop?.get(`${repo}/${file}`);
    // The size probe (Range 0-0) is answered whole; a fault hits the transfer itself.
    if (drop && drop.times > 0 && body.length > 1) {
      drop.times--;
      // End the connection (FIN, not RST: a reset would discard bytes the client has not read yet)
      // short of the Content-Length promised, as a dropped transfer looks to the client.
      res.write(body.subarray(0, drop.afterBytes), () => res.socket?.end());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolvePromise) => server.listen(0, "127.0.0.1", resolvePromise));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolvePromise, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolvePromise()));
      }),
  };
}

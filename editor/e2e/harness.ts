import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";
import { editorBuildReason } from "../../bin/build-editor.ts";

/**
 * What the browser tests run against: the editor built once, the real `infix serve` on
 * 127.0.0.1 with a fresh data folder, and Debian's chromium with a new empty profile.
 */

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
/** Debian's chromium; INFIX_CHROMIUM points elsewhere (another build, or a path that does not exist to check the failure). */
export const CHROMIUM = process.env.INFIX_CHROMIUM ?? "/usr/bin/chromium";
export const resultsDir = join(repoRoot, "test-results");

/** The variable that lets someone who knows what they give up run the suite without a browser. */
export const SKIP_BROWSER_TESTS = "INFIX_SKIP_BROWSER_TESTS";

/**
 * Why browser tests are skipped here (only when INFIX_SKIP_BROWSER_TESTS=1 says so, announced
 * loudly), or undefined when they run. Without chromium and without that variable the test
 * command fails with the install instruction: a green run must have opened the editor.
 */
export function browserSkipReason(): string | undefined {
  if (process.env[SKIP_BROWSER_TESTS] === "1") {
    const reason = `${SKIP_BROWSER_TESTS}=1: the editor's browser tests are SKIPPED; this run does not test the studio in a browser.`;
    process.stderr.write(`\n*** ${reason} ***\n\n`);
    return reason;
  }
  if (existsSync(CHROMIUM)) return undefined;
  throw new Error(
    `The editor's browser tests need Debian's chromium at ${CHROMIUM}: install it with \`sudo apt-get install chromium\` ` +
      `(.ci/run does), or set ${SKIP_BROWSER_TESTS}=1 to run everything else without them.`,
  );
}

let built: Promise<void> | undefined;

/**
 * Builds editor/dist once, and only when its sources are newer. Test files run in parallel
 * processes, so a lock file keeps a second build from emptying dist under a running server.
 */
export function buildEditor(): Promise<void> {
  built ??= withLock(join(tmpdir(), "infix-editor-build.lock"), async () => {
    if ((await editorBuildReason(repoRoot)) === null) return;
    const { build } = await import("vite");
    await build({ configFile: join(repoRoot, "editor/vite.config.ts"), logLevel: "warn" });
  });
  return built;
}

async function withLock(path: string, work: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      const handle = await open(path, "wx");
      try {
        await work();
      } finally {
        await handle.close();
        await rm(path, { force: true });
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // A lock left by a crashed run is taken over after two minutes.
      const age =
        Date.now() -
        (await stat(path)
          .then((s) => s.mtimeMs)
          .catch(() => Date.now()));
      if (age > 120_000) await rm(path, { force: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export interface RunningServer {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts `infix serve --port 0` (test nodes unless `realNodes`) with a temp data folder; resolves once it prints its URL. */
export async function startServer(options: { realNodes?: boolean; dataDir?: string } = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "infix-e2e-")));
  const args = [
    join(repoRoot, "bin/infix.mjs"),
    "serve",
    "--port",
    "0",
    "--data",
    dataDir,
    ...(options.realNodes ? [] : ["--test-nodes"]),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`infix serve did not start in 90 s:\n${log}`)), 90_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`infix serve exited with ${code}:\n${log}`));
    });
  });
  return {
    url,
    dataDir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  /** A first context, for callers that need only one (the bench). */
  context: BrowserContext;
  /** A new context: its own storage, permissions and pages, nothing left by another test. */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** Chromium headless, with nothing that phones home; each context starts as a first visit. */
export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const newContext = () => browser.newContext({ viewport: { width: 1440, height: 900 } });
  return {
    context: await newContext(),
    newContext,
    async close() {
      await browser.close();
    },
  };
}

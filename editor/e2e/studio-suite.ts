import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect } from "vitest";
import {
  browserSkipReason,
  buildEditor,
  launchBrowser,
  startServer,
  type Browser,
  type RunningServer,
} from "./harness.ts";
import { StudioPage } from "./studio-page.ts";

/**
 * The life cycle every browser test file shares (harness.ts stays free of vitest for the
 * bench): the editor built and chromium started once per file, a server per file or per test,
 * and every test on the studio opened in a new browser context (a first visit: nothing
 * stored, nothing left by the previous test's page). Setup hooks have timeouts of their own,
 * above their inner waits, so a slow machine fails a wait with its own message.
 */

const skipped = browserSkipReason() !== undefined;

/** `describe`, skipped only where INFIX_SKIP_BROWSER_TESTS=1 says so (harness.ts explains). */
export const describeInBrowser = describe.skipIf(skipped);

/**
 * `expect.poll` with a default timeout, for state the page reaches in its own time.
 * @example const eventually = pollWithin(10_000); await eventually(() => studio.edgeCount()).toBe(1);
 */
export function pollWithin(defaultTimeout: number) {
  return <T>(read: () => T | Promise<T>, timeout = defaultTimeout) => expect.poll(read, { timeout });
}

export interface StudioSuiteOptions {
  /** The real BLIP-Diffusion nodes on the tiny pack instead of the engine's test nodes. */
  realNodes?: boolean;
  /** A fresh server (data folder, cache, queue) for every test instead of one for the file. */
  serverPerTest?: boolean;
  /** Runs on each test's page before the studio loads (e.g. answering dialogs). */
  preparePage?: (page: Page) => void;
  /** Timeout of the per-file setup (editor build, server, browser); 600 s by default. */
  setupTimeoutMs?: number;
  /** Timeout of each test's setup (its server, its page); 150 s by default. */
  eachTimeoutMs?: number;
}

/** What a test of the suite works with; read inside tests and hooks only. */
export interface StudioSuite {
  readonly server: RunningServer;
  readonly browser: Browser;
  /** This test's studio, in its own browser context. */
  readonly studio: StudioPage;
}

/**
 * Registers the hooks of a browser test file inside its `describeInBrowser` block.
 * @example const suite = useStudioSuite({ realNodes: true }); it("…", async () => { await suite.studio.queue(); });
 */
export function useStudioSuite(options: StudioSuiteOptions = {}): StudioSuite {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let studio: StudioPage | undefined;
  const start = () => startServer({ realNodes: options.realNodes });

  beforeAll(async () => {
    await buildEditor();
    if (!options.serverPerTest) server = await start();
    browser = await launchBrowser();
  }, options.setupTimeoutMs ?? 600_000);

  afterAll(async () => {
    await browser?.close();
    if (!options.serverPerTest) await server?.stop();
  });

  beforeEach(async () => {
    if (options.serverPerTest) server = await start();
    ({ studio, context } = await StudioPage.inNewContext(browser!, server!.url, options.preparePage));
  }, options.eachTimeoutMs ?? 150_000);

  afterEach(async () => {
    await context?.close();
    context = undefined;
    studio = undefined;
    if (options.serverPerTest) await server?.stop();
  });

  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not set up: read it inside a test or hook`);
    return value;
  };
  return {
    get server() {
      return required(server, "the server");
    },
    get browser() {
      return required(browser, "the browser");
    },
    get studio() {
      return required(studio, "the studio page");
    },
  };
}

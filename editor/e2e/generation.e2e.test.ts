import { expect, it } from "vitest";
import { StudioPage } from "./studio-page.ts";
import { describeInBrowser, pollWithin, useStudioSuite } from "./studio-suite.ts";
import { ZERO_SHOT_NODE_IDS } from "./workflows.ts";

/**
 * The studio against the real BLIP-Diffusion nodes on the embedded tiny pack: load an
 * example, run it, watch progress and the picture arrive, then get the workflow back
 * from the PNG it produced.
 */
const eventually = pollWithin(10_000);

/** The longest a generation on the tiny pack may take on a loaded 2-core machine; tests allow twice that and more. */
const GENERATION_MS = 240_000;

/**
 * One server for the file (its tiny pack takes a while to load); every test opens its own
 * browser context (a first visit, nothing autosaved) and never relies on another test's page.
 * A picture that a test needs is made by `generatedPng`, whichever test asks first.
 */
describeInBrowser("studio in a browser (generation nodes, tiny pack)", { timeout: 3 * GENERATION_MS }, () => {
  const suite = useStudioSuite({ realNodes: true, eachTimeoutMs: 120_000 });
  let produced: Promise<Uint8Array> | undefined;

  /** A PNG made by this server from the zero-shot example (its workflow embedded), run in a page of its own. */
  function generatedPng(): Promise<Uint8Array> {
    produced ??= (async () => {
      const { studio: page, context } = await StudioPage.inNewContext(suite.browser, suite.server.url);
      try {
        await page.node("sampler").waitFor(); // the first visit opens the zero-shot example
        await page.queue();
        await page.waitForFinished("save", GENERATION_MS); // cached, if a test ran the example with its seed
        return await savedPng(page);
      } finally {
        await context.close();
      }
    })();
    produced.catch(() => (produced = undefined)); // a failure is not remembered for the next test
    return produced;
  }

  /** The PNG the Save node of `page` shows, fetched from the server. */
  async function savedPng(page: StudioPage): Promise<Uint8Array> {
    const src = (await page.node("save").locator(".studio-node__image").first().getAttribute("src"))!;
    return new Uint8Array(await (await fetch(new URL(src, suite.server.url))).arrayBuffer());
  }

  it("greets a first visit (nothing autosaved) with the zero-shot example in the first tab, ready to run", async () => {
    const { studio } = suite;
    await studio.node("sampler").waitFor();
    expect(await studio.page.locator(".tab").count()).toBe(1);
    expect((await studio.nodeIds()).sort()).toEqual([...ZERO_SHOT_NODE_IDS].sort());
    expect(await studio.page.locator(".studio-node--unknown").count()).toBe(0);
    // Untouched: no unsaved mark, and nothing for the validator to flag.
    expect(await studio.page.locator('.tab.is-active [aria-label="unsaved changes"]').count()).toBe(0);
    await studio.validateNow();
    expect(await studio.page.locator(".studio-node__problem").count()).toBe(0);
    // Readable first view: a full fit of this wide pipeline would zoom to ~0.45 (6 px text); it opens at ≥ 0.8 from its start.
    const zoom = await studio.page
      .locator(".react-flow__viewport")
      .evaluate((el) => new DOMMatrix(getComputedStyle(el).transform).a);
    expect(zoom).toBeCloseTo(0.8, 2); // too wide to fit readably: the smallest readable zoom, not React Flow's default 1
    const canvas = (await studio.page.getByTestId("canvas").boundingBox())!;
    const pack = (await studio.node("pack").boundingBox())!;
    expect(pack.x - canvas.x).toBeGreaterThanOrEqual(0); // the pipeline's start, just inside the left edge
    expect(pack.x - canvas.x).toBeLessThan(80);
    expect(pack.y).toBeGreaterThanOrEqual(canvas.y);
    await studio.screenshot("19-first-visit");
  });

  it("says that the tiny pack makes meaningless pictures and how to install real weights", async () => {
    const { studio } = suite;
    const banner = studio.page.locator('[data-notice-id="blip-diffusion:tiny-pack-only"]');
    await banner.waitFor();
    expect(await banner.textContent()).toContain("infix pack pull Salesforce/blipdiffusion");
  });

  it("loads an example, runs it with sampler progress and shows the final image on the node and in the gallery", async () => {
    const { studio } = suite;
    await studio.openExample("zero-shot-generation");
    await studio.node("sampler").waitFor();
    expect(await studio.page.locator(".studio-node--unknown").count()).toBe(0);
    await studio.fitView();
    await studio.screenshot("20-example-loaded");
    await studio.queue();
    await studio.page
      .locator('.react-flow__node[data-id="sampler"] [role="progressbar"]')
      .waitFor({ timeout: GENERATION_MS });
    // Step count and live preview are read together, in the page, while the sampler runs: at
    // the pack's 64² a run can end between two separate reads (and the preview gives way to
    // the final picture).
    const running = await studio.page.waitForFunction(
      () => {
        const node = document.querySelector('.react-flow__node[data-id="sampler"]');
        const status = node?.querySelector('[data-testid="node-status"]')?.textContent ?? "";
        const src = node?.querySelector(".studio-node__preview")?.getAttribute("src");
        return /^\d+\/\d+$/.test(status) && src ? { status, src } : undefined;
      },
      undefined,
      { timeout: GENERATION_MS, polling: "raf" },
    );
    expect((await running.jsonValue())!.src).toMatch(/^data:image\/(png|jpeg);base64,/);
    await studio.screenshot("21-sampling-progress");
    await studio.waitForStatus("save", "done", GENERATION_MS);
    const image = studio.node("save").locator(".studio-node__image");
    await image.waitFor();
    await eventually(() => image.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await studio.page.locator(".gallery__item").first().waitFor();
    await studio.screenshot("22-generated-image");

    await studio.page.locator(".gallery__item").first().click();
    const download = studio.page.getByRole("link", { name: "Download" });
    const href = (await download.getAttribute("href"))!;
    expect(href).toMatch(/^\/api\/files\/output\/.+\.png$/);
    await studio.screenshot("23-gallery-full-size");
    await studio.page.getByRole("button", { name: "Close", exact: true }).click();
    const png = new Uint8Array(await (await fetch(new URL(href, suite.server.url))).arrayBuffer());
    expect([...png.slice(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
    produced ??= Promise.resolve(png);
  });

  it("re-runs with a new seed and serves everything upstream of the sampler from the cache", async () => {
    const { studio } = suite;
    await studio.node("sampler").waitFor();
    const succeeded = studio.page.locator(".job--succeeded");
    // Count from what the server has done so far (other tests share it), once the panel shows it.
    const state = (await (await fetch(new URL("/api/jobs", suite.server.url))).json()) as {
      jobs: { status: string }[];
    };
    const initial = state.jobs.filter((job) => job.status === "succeeded").length;
    await eventually(() => succeeded.count()).toBe(initial);
    // A first run (or its cache hits, if another test ran the example) fills the cache...
    await studio.shortcut("Control+Enter");
    await eventually(() => succeeded.count(), GENERATION_MS).toBe(initial + 1);
    // ...and the seed changed when it was queued, so the second run needs a new sampler pass only.
    await studio.shortcut("Control+Enter");
    await eventually(() => succeeded.count(), GENERATION_MS).toBe(initial + 2);
    await studio.waitForStatus("save", "done");
    const statuses = Object.fromEntries(
      await Promise.all(ZERO_SHOT_NODE_IDS.map(async (id) => [id, await studio.statusOf(id)])),
    );
    // The prompt encodings come from the cache, so the Q-Former and its picture are not needed
    // at all; they are still up to date in the cache and show as cached, not blank.
    expect(statuses).toEqual({
      pack: "cached",
      reference: "cached",
      subject: "cached",
      latent: "cached",
      positive: "cached",
      negative: "cached",
      sampler: "done",
      decode: "done",
      save: "done",
    });
    await studio.screenshot("24-rerun-cached");
  });

  it("gives back the workflow embedded in a produced PNG dropped on the canvas", async () => {
    const { studio } = suite;
    const png = await generatedPng();
    await studio.node("sampler").waitFor();
    const tabsBefore = await studio.page.locator(".tab").count();
    await studio.dropFile("zero-shot.png", "image/png", png);
    await eventually(() => studio.page.locator(".tab").count()).toBe(tabsBefore + 1);
    await studio.node("sampler").waitFor();
    expect((await studio.nodeIds()).sort()).toEqual([...ZERO_SHOT_NODE_IDS].sort());
  });

  it("uploads a picture into a file widget and shows its thumbnail", async () => {
    const { studio } = suite;
    const png = await generatedPng();
    await studio.node("reference").waitFor();
    const row = studio.node("reference").locator('[data-input="image"]');
    await row
      .locator('input[type="file"]')
      .setInputFiles({ name: "my-dog.png", mimeType: "image/png", buffer: Buffer.from(png) });
    await eventually(() => row.getByRole("textbox").inputValue()).toMatch(/my-dog.*\.png$/);
    const thumb = row.locator(".file-widget__thumb");
    await eventually(() => thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
  });
});

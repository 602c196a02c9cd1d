import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
 * The studio against the real BLIP-Diffusion nodes on the embedded tiny pack: load an
 * example, run it, watch progress and the picture arrive, then get the workflow back
 * from the PNG it produced.
 */
const skip = browserSkipReason();
const eventually = <T>(read: () => T | Promise<T>, timeout = 10_000) => expect.poll(read, { timeout });

describe.skipIf(skip !== undefined)("studio in a browser (generation nodes, tiny pack)", () => {
  let server: RunningServer;
  let browser: Browser;
  let studio: StudioPage;
  let producedPng: Uint8Array;

  beforeAll(async () => {
    await buildEditor();
    server = await startServer({ realNodes: true });
    browser = await launchBrowser();
    studio = new StudioPage(await browser.context.newPage(), server.url);
    await studio.open();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("greets a first visit (nothing autosaved) with the zero-shot example in the first tab, ready to run", async () => {
    await studio.node("sampler").waitFor();
    expect(await studio.page.locator(".tab").count()).toBe(1);
    expect((await studio.nodeIds()).sort()).toEqual([
      "decode",
      "latent",
      "negative",
      "pack",
      "positive",
      "reference",
      "sampler",
      "save",
      "subject",
    ]);
    expect(await studio.page.locator(".studio-node--unknown").count()).toBe(0);
    // Untouched: no unsaved mark, and nothing for the validator to flag.
    expect(await studio.page.locator('.tab.is-active [aria-label="unsaved changes"]').count()).toBe(0);
    await studio.page.waitForTimeout(300); // past the live validation's debounce
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
    const banner = studio.page.getByTestId("tiny-pack-banner");
    await banner.waitFor();
    expect(await banner.textContent()).toContain("infix pack pull Salesforce/blipdiffusion");
  });

  it("loads an example, runs it with sampler progress and shows the final image on the node and in the gallery", async () => {
    await studio.page.getByRole("button", { name: "Examples ▾" }).click();
    await studio.page.locator('[data-example="zero-shot-generation"]').click();
    await studio.node("sampler").waitFor();
    expect(await studio.page.locator(".studio-node--unknown").count()).toBe(0);
    await studio.fitView();
    await studio.screenshot("20-example-loaded");
    await studio.queue();
    await studio.page
      .locator('.react-flow__node[data-id="sampler"] [role="progressbar"]')
      .waitFor({ timeout: 120_000 });
    expect(await studio.node("sampler").getByTestId("node-status").textContent()).toMatch(/^\d+\/\d+$/);
    const preview = studio.node("sampler").locator(".studio-node__preview");
    await preview.waitFor({ timeout: 60_000 });
    expect(await preview.getAttribute("src")).toMatch(/^data:image\/(png|jpeg);base64,/);
    await studio.screenshot("21-sampling-progress");
    await studio.waitForStatus("save", "done", 120_000);
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
    producedPng = new Uint8Array(await (await fetch(new URL(href, server.url))).arrayBuffer());
    expect([...producedPng.slice(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
  });

  it("re-runs with a new seed and serves everything upstream of the sampler from the cache", async () => {
    const succeeded = studio.page.locator(".job--succeeded");
    const before = await succeeded.count();
    await studio.shortcut("Control+Enter");
    await eventually(() => succeeded.count(), 120_000).toBe(before + 1);
    await studio.waitForStatus("save", "done");
    const statuses = Object.fromEntries(
      await Promise.all(
        ["pack", "reference", "subject", "latent", "positive", "negative", "sampler", "decode", "save"].map(
          async (id) => [id, await studio.statusOf(id)],
        ),
      ),
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
    const tabsBefore = await studio.page.locator(".tab").count();
    await studio.dropFile("zero-shot.png", "image/png", producedPng);
    await eventually(() => studio.page.locator(".tab").count()).toBe(tabsBefore + 1);
    await studio.node("sampler").waitFor();
    expect((await studio.nodeIds()).sort()).toEqual([
      "decode",
      "latent",
      "negative",
      "pack",
      "positive",
      "reference",
      "sampler",
      "save",
      "subject",
    ]);
  });

  it("uploads a picture into a file widget and shows its thumbnail", async () => {
    const row = studio.node("reference").locator('[data-input="image"]');
    await row
      .locator('input[type="file"]')
      .setInputFiles({ name: "my-dog.png", mimeType: "image/png", buffer: Buffer.from(producedPng) });
    await eventually(() => row.getByRole("textbox").inputValue()).toMatch(/my-dog.*\.png$/);
    const thumb = row.locator(".file-widget__thumb");
    await eventually(() => thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
  });
});

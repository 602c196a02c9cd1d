import { expect, it } from "vitest";
import type { StudioPage } from "./studio-page.ts";
import { describeInBrowser, pollWithin, useStudioSuite } from "./studio-suite.ts";
import { ZERO_SHOT_NODE_IDS } from "./workflows.ts";

/**
 * What a new user meets in the first minutes, against the real nodes on the tiny pack at
 * 1440×900: the welcome example readable whole, the banner, placing and linking nodes, the tab
 * bar, inline checks, the save dialog, and the gallery and job details surviving a reload.
 * Every test opens its own page in a new browser context (nothing stored).
 */
const eventually = pollWithin(15_000);

describeInBrowser("first contact with the studio (tiny pack)", () => {
  const suite = useStudioSuite({ realNodes: true });

  /** The page as a first visit sees it: no autosave, no dismissed banner, the welcome example open. */
  async function firstVisit(): Promise<StudioPage> {
    await suite.studio.node("sampler").waitFor();
    return suite.studio;
  }

  it(
    "opens the welcome example with every node inside the canvas at a readable zoom",
    { timeout: 90_000 },
    async () => {
      const studio = await firstVisit();
      const canvas = (await studio.page.getByTestId("canvas").boundingBox())!;
      // Measured once React Flow has placed the first view.
      await eventually(() =>
        studio.page.locator(".react-flow__viewport").evaluate((el) => new DOMMatrix(getComputedStyle(el).transform).a),
      ).toBeGreaterThanOrEqual(0.8);
      const minimap = (await studio.page.locator(".react-flow__minimap").boundingBox())!;
      for (const id of ZERO_SHOT_NODE_IDS) {
        const box = (await studio.node(id).boundingBox())!;
        expect(box.x, id).toBeGreaterThanOrEqual(canvas.x);
        expect(box.y, id).toBeGreaterThanOrEqual(canvas.y);
        expect(box.x + box.width, id).toBeLessThanOrEqual(canvas.x + canvas.width);
        expect(box.y + box.height, id).toBeLessThanOrEqual(canvas.y + canvas.height);
        const underMinimap =
          box.x + box.width > minimap.x && box.y + box.height > minimap.y && box.x < minimap.x + minimap.width;
        expect(underMinimap, `${id} under the minimap`).toBe(false);
      }
      await studio.screenshot("30-first-view-1440x900");
      // Panels collapse for more room, and stay collapsed after a reload.
      await studio.page.getByRole("button", { name: "Hide the queue and gallery" }).click();
      await eventually(async () => (await studio.page.getByTestId("canvas").boundingBox())!.width).toBeGreaterThan(
        canvas.width + 150,
      );
      await studio.page.reload();
      await studio.page.getByRole("button", { name: "Show the queue and gallery" }).waitFor();
    },
  );

  it(
    "says in one sentence what the tiny pack is and the command for real weights, and remembers a dismissal",
    { timeout: 60_000 },
    async () => {
      const studio = await firstVisit();
      const banner = studio.page.locator('[data-notice-id="blip-diffusion:tiny-pack-only"]');
      const text = (await banner.textContent())!;
      expect(text).toContain("infix pack pull Salesforce/blipdiffusion");
      expect(text).toContain("Use the real model");
      expect(text.split(/[.!?](\s|$)/).filter((s) => s && s.trim()).length).toBe(1);
      await banner.getByRole("button", { name: "Dismiss this notice" }).click();
      await eventually(() => banner.count()).toBe(0);
      await studio.page.reload();
      await studio.node("sampler").waitFor();
      expect(await banner.count()).toBe(0);
    },
  );

  it("places nodes added from the palette side by side, never on top of each other", { timeout: 60_000 }, async () => {
    const studio = await firstVisit();
    const first = await studio.addNode("EmptyLatent");
    const second = await studio.addNode("EmptyLatent");
    const third = await studio.addNode("EmptyLatent");
    const boxes = await Promise.all([first, second, third].map(async (id) => (await studio.node(id).boundingBox())!));
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
        expect(overlap, `nodes ${i} and ${j} overlap`).toBe(false);
      }
  });

  it(
    "opens the search of compatible nodes when a link is dropped on empty canvas, and connects the choice",
    { timeout: 60_000 },
    async () => {
      const studio = await firstVisit();
      const edges = await studio.edgeCount();
      const nodes = (await studio.nodeIds()).length;
      const handle = studio.node("reference").locator('.react-flow__handle.source[data-handleid="image"]');
      const from = (await handle.boundingBox())!;
      const canvas = (await studio.page.getByTestId("canvas").boundingBox())!;
      // Below the graph, clear of nodes, controls and minimap.
      const drop = { x: canvas.x + canvas.width * 0.45, y: canvas.y + canvas.height - 60 };
      await studio.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
      await studio.page.mouse.down();
      await studio.page.mouse.move(drop.x, drop.y, { steps: 12 });
      await studio.page.mouse.up();
      const search = studio.page.getByRole("dialog", { name: "Add a node for this link" });
      await search.waitFor();
      const offered = await search
        .locator("button[data-node-type]")
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-node-type")));
      expect(offered).toContain("VAEEncode");
      expect(offered).toContain("QFormerEncode");
      expect(offered).not.toContain("Sampler"); // no IMAGE input
      await search.getByLabel("Search compatible nodes").fill("vae enc");
      await search.getByLabel("Search compatible nodes").press("Enter");
      await eventually(async () => (await studio.nodeIds()).length).toBe(nodes + 1);
      await eventually(() => studio.edgeCount()).toBe(edges + 1);
      expect(await studio.nodesOfType("VAEEncode").count()).toBe(1);
    },
  );

  it(
    "says a refused connection at the pointer, and validates a width off the step inline",
    { timeout: 60_000 },
    async () => {
      const studio = await firstVisit();
      await studio.connect("reference", "image", "latent", "width");
      const notice = studio.page.getByTestId("pointer-notice");
      await notice.waitFor();
      expect(await notice.textContent()).toContain("IMAGE output 'image' cannot feed INT input 'width'");
      const target = (await studio.node("latent").locator('[data-input="width"] .react-flow__handle').boundingBox())!;
      const at = (await notice.boundingBox())!;
      expect(Math.hypot(at.x - target.x, at.y - target.y)).toBeLessThan(80);

      expect(await studio.numberValue("latent", "width")).toBe("pack default");
      const row = studio.node("latent").locator('[data-input="width"]');
      await row.getByRole("spinbutton").click();
      await row.locator("input").fill("500");
      await eventually(() => row.getByRole("alert").textContent()).toContain("multiple of 8 (496 or 504)");
      await row.locator("input").fill("504");
      await row.locator("input").press("Enter");
      await eventually(() => studio.numberValue("latent", "width")).toBe("504");
    },
  );

  it(
    "keeps the tab bar on one line with many tabs, and focuses an example that is already open",
    { timeout: 60_000 },
    async () => {
      const studio = await firstVisit();
      const bar = studio.page.getByRole("tablist", { name: "Open workflows" });
      const height = (await bar.boundingBox())!.height;
      for (let i = 0; i < 15; i++) await studio.page.getByRole("button", { name: "New tab" }).click();
      await eventually(() => studio.page.locator(".tab").count()).toBe(16);
      expect((await bar.boundingBox())!.height).toBeLessThanOrEqual(height + 1);
      await studio.screenshot("32-many-tabs");
      expect(await bar.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
      // The new (active) tab was scrolled into view.
      const active = (await studio.page.locator(".tab.is-active").boundingBox())!;
      const barBox = (await bar.boundingBox())!;
      expect(active.x + active.width).toBeLessThanOrEqual(barBox.x + barBox.width + 1);
      expect(await studio.page.locator(".tab").first().getByRole("tab").getAttribute("title")).toBe(
        "Zero-shot subject-driven generation",
      );

      await studio.page.getByRole("button", { name: "Examples ▾" }).click();
      await studio.page.locator('[data-example="zero-shot-generation"]').click();
      await eventually(() => studio.page.locator(".tab").first().getAttribute("class")).toContain("is-active");
      expect(await studio.page.locator(".tab").count()).toBe(16);
      expect(await studio.page.locator('.tab.is-active [aria-label="unsaved changes"]').count()).toBe(0);
    },
  );

  it("saves through the studio's own dialog", { timeout: 60_000 }, async () => {
    const studio = await firstVisit();
    let prompted = false;
    studio.page.on("dialog", (d) => {
      prompted = true;
      void d.dismiss();
    });
    await studio.page.getByRole("button", { name: "Save", exact: true }).click();
    const dialog = studio.page.getByRole("dialog", { name: "Save workflow" });
    await dialog.getByLabel("Workflow name").fill("first-contact");
    await dialog.getByRole("button", { name: "Save", exact: true }).click();
    await eventually(() => studio.notice.textContent()).toContain("Saved “first-contact”");
    expect(await dialog.count()).toBe(0);
    expect(prompted).toBe(false);
  });

  it(
    "runs the welcome example in seconds, and after a reload shows the picture with its seed and the job's details",
    { timeout: 180_000 },
    async () => {
      const studio = await firstVisit();
      const seed = Number(await studio.node("sampler").locator('[data-input="seed"] input').inputValue());
      const started = Date.now();
      await studio.queue();
      await studio.waitForStatus("save", "done", 150_000);
      console.log(`first picture from the editor (tiny pack, pack default size): ${Date.now() - started} ms`);
      // The widget moved on; the gallery keeps the seed the job used.
      await eventually(() => studio.page.getByTestId("gallery-seed").first().textContent()).toBe(`seed ${seed}`);

      await studio.page.reload();
      await studio.node("sampler").waitFor();
      await eventually(() => studio.page.getByTestId("gallery-seed").first().textContent()).toBe(`seed ${seed}`);
      await studio.page.locator('.job[data-status="succeeded"] .job__label').first().click();
      const details = studio.page.getByRole("dialog", { name: "Job details" });
      await eventually(() => details.getByTestId("job-seeds").textContent()).toContain(`seed ${seed}`);
      expect(await details.getByLabel("Job log").textContent()).toContain("Sampler (#sampler): ran in");
      await details.locator("img").first().waitFor();
      await studio.screenshot("31-job-details");
      const tabs = await studio.page.locator(".tab").count();
      await details.getByRole("button", { name: "Open its workflow" }).click();
      await eventually(() => studio.page.locator(".tab").count()).toBe(tabs + 1);
      await eventually(() => studio.node("sampler").locator('[data-input="seed"] input').inputValue()).toBe(
        String(seed),
      );
    },
  );
});

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { resultsDir, type Browser } from "./harness.ts";

/** How the browser tests reach into the running studio (`window.infixStudio`) to set what a mouse cannot set exactly. */
interface StudioWindow {
  infixStudio: {
    tab: {
      doc: {
        getState(): {
          apply(
            label: string,
            recipe: (d: { editor: { nodes: Record<string, { position: Position }> } }) => void,
          ): void;
        };
      };
    };
  };
}
type Position = { x: number; y: number };

/** Page object for the studio: what a person does, named as they would say it. */
export class StudioPage {
  constructor(
    readonly page: Page,
    readonly url: string,
  ) {}

  /**
   * The studio open in a page of a new browser context: a first visit, with nothing stored
   * and nothing left by another test. `preparePage` runs before the studio loads (e.g. to
   * answer dialogs). Close the context when done.
   */
  static async inNewContext(
    browser: Browser,
    url: string,
    preparePage?: (page: Page) => void,
  ): Promise<{ studio: StudioPage; context: BrowserContext }> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      preparePage?.(page);
      const studio = new StudioPage(page, url);
      await studio.open();
      return { studio, context };
    } catch (error) {
      await context.close();
      throw error;
    }
  }

  async open(): Promise<void> {
    await this.page.goto(this.url);
    await this.page.locator(".palette__entry").first().waitFor();
    await this.page.locator(".connection.is-up").waitFor();
  }

  get notice(): Locator {
    return this.page.getByTestId("notice");
  }

  node(id: string): Locator {
    return this.page.locator(`.react-flow__node[data-id="${id}"]`);
  }

  nodesOfType(type: string): Locator {
    return this.page.locator(`.studio-node[data-node-type="${type}"]`);
  }

  status(id: string): Locator {
    return this.node(id).locator(".studio-node");
  }

  async nodeIds(): Promise<string[]> {
    return this.page.locator(".react-flow__node").evaluateAll((els) => els.map((e) => e.getAttribute("data-id") ?? ""));
  }

  async searchPalette(query: string): Promise<string[]> {
    await this.page.getByLabel("Search nodes").fill(query);
    return this.page.locator(".palette__entry").allTextContents();
  }

  /** Double-clicks a palette entry; returns the new node's id. */
  async addNode(type: string): Promise<string> {
    const before = new Set(await this.nodeIds());
    await this.page.getByLabel("Search nodes").fill("");
    await this.page.locator(`.palette__entry[data-node-type="${type}"]`).dblclick();
    await this.page.waitForFunction((n) => document.querySelectorAll(".react-flow__node").length > n, before.size);
    const id = (await this.nodeIds()).find((nodeId) => !before.has(nodeId))!;
    // React Flow shows a node once it has measured it: wait for that, as a person's next click would.
    await this.node(id).waitFor({ state: "visible" });
    return id;
  }

  /** Drags from an output handle to an input handle with the mouse. */
  async connect(from: string, output: string, to: string, input: string): Promise<void> {
    const source = this.node(from).locator(`.react-flow__handle.source[data-handleid="${output}"]`);
    const target = this.node(to).locator(`.react-flow__handle.target[data-handleid="${input}"]`);
    const a = (await source.boundingBox())!;
    const b = (await target.boundingBox())!;
    await this.page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await this.page.mouse.up();
  }

  /** Puts nodes at exact canvas positions (one undo step), where a test needs a known layout. */
  async placeNodes(positions: Record<string, Position>): Promise<void> {
    await this.page.evaluate((at) => {
      const { tab } = (window as unknown as StudioWindow).infixStudio;
      tab.doc.getState().apply("place", (d) => {
        for (const [id, position] of Object.entries(at)) d.editor.nodes[id].position = position;
      });
    }, positions);
  }

  edgeCount(): Promise<number> {
    return this.page.locator(".react-flow__edge").count();
  }

  /** Clicks a number widget and types a value, as a person would. */
  async typeNumber(nodeId: string, input: string, value: string): Promise<void> {
    const row = this.node(nodeId).locator(`[data-input="${input}"]`);
    await row.getByRole("spinbutton").click();
    const field = row.locator("input");
    await field.fill(value);
    await field.press("Enter");
  }

  numberValue(nodeId: string, input: string): Promise<string | null> {
    return this.node(nodeId).locator(`[data-input="${input}"] [role="spinbutton"]`).textContent();
  }

  async queue(): Promise<void> {
    await this.page.getByTestId("queue-button").click();
  }

  async waitForStatus(nodeId: string, status: string, timeout = 30_000): Promise<void> {
    await this.page
      .locator(`.react-flow__node[data-id="${nodeId}"] .studio-node[data-status="${status}"]`)
      .waitFor({ timeout });
  }

  /** Waits until the node ran or came from the cache in the latest job. */
  async waitForFinished(nodeId: string, timeout = 30_000): Promise<void> {
    await this.page
      .locator(`.react-flow__node[data-id="${nodeId}"] .studio-node:is([data-status="done"], [data-status="cached"])`)
      .waitFor({ timeout });
  }

  /**
   * Opens an example from the toolbar's menu (the first one without a name). The menu lists
   * them after a request to the server, which a loaded machine can delay: the button is
   * pressed again if the menu did not open.
   */
  async openExample(name?: string, timeout = 60_000): Promise<void> {
    const button = this.page.getByRole("button", { name: "Examples ▾" });
    const item = this.page.locator(name ? `[data-example="${name}"]` : "[data-example]").first();
    const deadline = Date.now() + timeout;
    while (!(await item.isVisible())) {
      if (Date.now() > deadline)
        throw new Error(`the Examples menu did not list ${name ?? "an example"} in ${timeout} ms`);
      if ((await button.getAttribute("aria-expanded")) !== "true") await button.click();
      await item.waitFor({ timeout: 5_000 }).catch(() => undefined);
    }
    await item.click();
  }

  async statusOf(nodeId: string): Promise<string | null> {
    return this.status(nodeId).getAttribute("data-status");
  }

  /** Takes focus out of any field, so keys go to the canvas (a click could land on a widget). */
  async focusCanvas(): Promise<void> {
    await this.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  }

  async shortcut(keys: string): Promise<void> {
    await this.focusCanvas();
    await this.page.keyboard.press(keys);
  }

  async fitView(): Promise<void> {
    await this.shortcut("f");
    await this.viewportSettled();
  }

  /** Resolves once the canvas transform has stayed the same for a few frames (a fit or zoom animation ended). */
  async viewportSettled(): Promise<void> {
    await this.page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const viewport = document.querySelector(".react-flow__viewport");
          let last = "";
          let still = 0;
          const tick = () => {
            const now = viewport ? getComputedStyle(viewport).transform : "";
            still = now === last ? still + 1 : 0;
            last = now;
            if (still >= 5) resolve();
            else requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        }),
    );
  }

  /** Runs the editor's live validation now instead of after its debounce. */
  async validateNow(): Promise<void> {
    await this.page.evaluate(`window.infixStudio.validation.flush()`);
  }

  /** Resolves once the autosave in localStorage holds `text` (autosave is debounced). */
  async autosaved(text: string, timeout = 10_000): Promise<void> {
    await this.page.waitForFunction(
      (wanted) => (localStorage.getItem("infix.autosave.v1") ?? "").includes(wanted),
      text,
      { timeout },
    );
  }

  /** Drops a file on the canvas the way a file manager would. */
  async dropFile(name: string, mime: string, bytes: Uint8Array): Promise<void> {
    const data = Array.from(bytes);
    const transfer = await this.page.evaluateHandle(
      ({ name, mime, data }) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(data)], name, { type: mime }));
        return dt;
      },
      { name, mime, data },
    );
    await this.page.locator(".react-flow__pane").dispatchEvent("drop", { dataTransfer: transfer });
  }

  /** Opens a workflow through the toolbar's Upload button. */
  async uploadWorkflow(name: string, json: unknown): Promise<void> {
    await this.page
      .getByLabel("Upload a workflow file")
      .setInputFiles({ name, mimeType: "application/json", buffer: Buffer.from(JSON.stringify(json)) });
  }

  async screenshot(name: string): Promise<string> {
    await mkdir(resultsDir, { recursive: true });
    const path = join(resultsDir, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}

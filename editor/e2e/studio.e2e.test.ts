import { readFile } from "node:fs/promises";
import { parseWorkflow } from "@infix/graph";
import { expect, it } from "vitest";
import { describeInBrowser, pollWithin, useStudioSuite } from "./studio-suite.ts";
import { countingWorkflow, failingWorkflow } from "./workflows.ts";

const eventually = pollWithin(10_000);

/**
 * Every test starts from nothing: its own server (fresh data folder, empty cache and queue) and
 * its own browser context (no autosave, a first visit), and sets up what it needs. A test that
 * fails leaves nothing behind for the next one. Waits poll for state; each test's timeout is
 * above the sum of its inner waits, so a slow machine fails a wait with its own message.
 */
describeInBrowser("studio in a browser (test nodes)", { timeout: 180_000 }, () => {
  const suite = useStudioSuite({
    serverPerTest: true,
    preparePage: (page) => page.on("dialog", (d) => void d.accept("e2e-saved")),
  });

  /** Opens the counting workflow (Slow Count and a constant feed Add, shown by Show) in a new tab. */
  async function openCounting(): Promise<void> {
    const { studio } = suite;
    await studio.uploadWorkflow("counting.json", countingWorkflow());
    await studio.node("slow").waitFor();
  }

  it("lists the catalog in the palette and searches it by name and category", async () => {
    const { studio } = suite;
    expect(await studio.searchPalette("slow count")).toEqual(["Slow Count"]);
    expect(await studio.searchPalette("testing/numbers")).toEqual(["Add", "Integer"]);
    // The welcome example's node types are not among the test nodes: the first visit stays empty.
    expect(await studio.page.locator(".react-flow__node").count()).toBe(0);
    await studio.screenshot("01-empty-studio");
  });

  it("adds nodes from the palette, connects matching sockets and refuses a wrong one with the reason", async () => {
    const { studio } = suite;
    const image = await studio.addNode("MakeImage");
    const add = await studio.addNode("AddInts");
    await studio.placeNodes({ [image]: { x: 0, y: 0 }, [add]: { x: 400, y: 0 } });
    await studio.fitView();
    await studio.connect(image, "image", add, "a");
    await eventually(() => studio.notice.textContent()).toContain("IMAGE output 'image' cannot feed INT input 'a'");
    expect(await studio.edgeCount()).toBe(0);
    await studio.screenshot("02-refused-connection");

    const constant = await studio.addNode("IntConstant");
    await studio.placeNodes({ [constant]: { x: 0, y: 250 } });
    await studio.fitView();
    await studio.connect(constant, "value", add, "a");
    await eventually(() => studio.edgeCount()).toBe(1);
    // The linked input hides its widget.
    expect(await studio.node(add).locator('[data-input="a"] [role="spinbutton"]').count()).toBe(0);
    expect(await studio.node(add).locator('[data-input="b"] [role="spinbutton"]').count()).toBe(1);
  });

  it("runs a workflow with live progress, then re-runs only what a changed widget feeds", async () => {
    const { studio } = suite;
    await studio.uploadWorkflow("counting.json", countingWorkflow());
    await studio.node("slow").waitFor();
    await studio.fitView();
    await studio.queue();
    await studio.page.locator('.react-flow__node[data-id="slow"] [role="progressbar"]').waitFor({ timeout: 20_000 });
    await studio.screenshot("03-running-with-progress");
    await studio.waitForStatus("show", "done");
    expect(await studio.node("show").locator(".studio-node__text").textContent()).toBe("17");
    expect(await studio.statusOf("slow")).toBe("done");
    await studio.screenshot("04-run-done");

    await studio.typeNumber("const", "value", "30");
    expect(await studio.numberValue("const", "value")).toBe("30");
    await studio.page.keyboard.press("Control+Enter");
    await studio.waitForStatus("show", "done");
    expect(await studio.node("show").locator(".studio-node__text").textContent()).toBe("42");
    expect(await studio.statusOf("slow")).toBe("cached");
    expect(await studio.statusOf("const")).toBe("done");
    expect(await studio.statusOf("add")).toBe("done");
    await studio.screenshot("05-rerun-cached");
  });

  it("downloads the workflow as a JSON file that parses back to the document", async () => {
    const { studio } = suite;
    await openCounting();
    const [download] = await Promise.all([
      studio.page.waitForEvent("download"),
      studio.page.getByRole("button", { name: "Download", exact: true }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.json$/);
    const text = await readFile((await download.path())!, "utf8");
    const parsed = parseWorkflow(JSON.parse(text));
    expect(parsed.ok).toBe(true);
    const document = JSON.parse(
      await studio.page.evaluate<string>(`JSON.stringify(window.infixStudio.tab.doc.getState().workflow)`),
    );
    expect(parsed.ok && parsed.workflow).toEqual(document);
    expect(Object.keys(document.nodes).sort()).toEqual(["add", "const", "show", "slow"]);
  });

  it("refuses a typed value outside the widget's range and keeps the old one", async () => {
    const { studio } = suite;
    await openCounting();
    await studio.typeNumber("const", "value", "30");
    await studio.node("const").locator('[data-input="value"] [role="spinbutton"]').click();
    const field = studio.node("const").locator('[data-input="value"] input');
    await field.fill("2000000");
    await eventually(() => studio.node("const").locator('[role="alert"]').first().textContent()).toContain(
      "between -1000000 and 1000000",
    );
    await field.press("Escape");
    expect(await studio.numberValue("const", "value")).toBe("30");
  });

  it("undoes and redoes a widget edit and a deletion", async () => {
    const { studio } = suite;
    await openCounting();
    await studio.typeNumber("const", "value", "30");
    await studio.focusCanvas();
    await studio.page.keyboard.press("Control+z");
    expect(await studio.numberValue("const", "value")).toBe("5");
    await studio.page.keyboard.press("Control+Shift+Z");
    expect(await studio.numberValue("const", "value")).toBe("30");

    await studio.node("show").locator(".studio-node__header").click();
    await studio.page.keyboard.press("Delete");
    await eventually(() => studio.node("show").count()).toBe(0);
    await studio.page.keyboard.press("Control+z");
    await eventually(() => studio.node("show").count()).toBe(1);
    await eventually(() => studio.edgeCount()).toBe(3);
  });

  it("deletes a selected link, which brings the input's widget back, and undoes it", async () => {
    const { studio } = suite;
    await openCounting();
    const edge = studio.page.getByTestId("rf__edge-const:value->add:b");
    await edge.locator(".react-flow__edge-interaction").click({ force: true });
    await studio.page.keyboard.press("Delete");
    await eventually(() => studio.edgeCount()).toBe(2);
    expect(await studio.numberValue("add", "b")).toBe("0");
    await studio.focusCanvas();
    await studio.page.keyboard.press("Control+z");
    await eventually(() => studio.edgeCount()).toBe(3);
    expect(await studio.node("add").locator('[data-input="b"] [role="spinbutton"]').count()).toBe(0);
  });

  it("marks a node whose required input lost its link while editing, before anything is queued, and clears it on undo", async () => {
    const { studio } = suite;
    await openCounting();
    const jobs = await studio.page.locator(".job").count();
    await studio.node("add").locator(".studio-node__header").click();
    await studio.page.keyboard.press("Delete");
    await eventually(() => studio.node("show").locator(".studio-node__problem").textContent()).toContain("value");
    expect(await studio.node("show").locator('[data-input="value"]').getAttribute("class")).toContain("is-invalid");
    expect(await studio.page.locator(".job").count()).toBe(jobs); // nothing was queued
    await studio.screenshot("06a-live-validation");
    await studio.page.keyboard.press("Control+z");
    await eventually(() => studio.node("show").locator(".studio-node__problem").count()).toBe(0);
    expect(await studio.node("show").locator('[data-input="value"]').getAttribute("class")).not.toContain("is-invalid");
  });

  it("marks validation problems from the server on the offending node and input", async () => {
    const { studio } = suite;
    await openCounting();
    await studio.node("add").locator(".studio-node__header").click();
    await studio.page.keyboard.press("Delete");
    await studio.queue();
    await eventually(() => studio.node("show").locator(".studio-node__problem").count()).toBeGreaterThan(0);
    expect(await studio.node("show").locator('[data-input="value"]').getAttribute("class")).toContain("is-invalid");
    await studio.screenshot("06-validation-problem");
    await studio.page.keyboard.press("Control+z");
    await eventually(() => studio.node("add").count()).toBe(1);
  });

  it("runs to a chosen node from its context menu, and cancels a long run from the queue panel", async () => {
    const { studio } = suite;
    await openCounting();
    await studio.queue();
    await studio.waitForStatus("show", "done");
    await studio.node("add").locator(".studio-node__header").click({ button: "right" });
    await studio.page.getByRole("menuitem", { name: "Run to here" }).click();
    await studio.waitForStatus("add", "cached");
    expect(await studio.statusOf("show")).toBe("idle"); // not a target, not needed
    await studio.screenshot("05b-run-to-here");

    await studio.typeNumber("slow", "steps", "200");
    await studio.queue();
    await studio.page.locator('.react-flow__node[data-id="slow"] [role="progressbar"]').waitFor();
    const running = studio.page.locator('.job[data-status="running"]');
    await running.getByRole("button", { name: /^Cancel/ }).click();
    await eventually(() => studio.page.locator('.job[data-status="cancelled"]').count()).toBe(1);
    await eventually(() => studio.notice.textContent()).toContain("Run cancelled");
    await studio.typeNumber("slow", "steps", "12");
  });

  it("saves on the server, and after a reload restores the open tab", async () => {
    const { studio } = suite;
    await openCounting();
    await studio.typeNumber("const", "value", "30");
    await studio.page.getByRole("button", { name: "Save", exact: true }).click();
    await studio.page.getByRole("dialog", { name: "Save workflow" }).getByLabel("Workflow name").fill("e2e-saved");
    await studio.page.getByLabel("Workflow name").press("Enter");
    await eventually(() => studio.notice.textContent()).toContain("Saved “e2e-saved”");
    await studio.typeNumber("const", "value", "7");
    expect(await studio.page.locator('.tab.is-active [aria-label="unsaved changes"]').count()).toBe(1);
    await studio.autosaved('"value":7');
    await studio.page.reload();
    await studio.node("const").waitFor();
    expect(await studio.numberValue("const", "value")).toBe("7");
    expect(await studio.page.locator(".tab.is-active").textContent()).toContain("e2e-saved");

    await studio.page.getByRole("button", { name: "Open…" }).click();
    await studio.page.locator('[data-saved="e2e-saved"]').waitFor();
    await studio.screenshot("07-open-dialog");
    await studio.page.locator('[data-saved="e2e-saved"]').click();
    await eventually(() => studio.numberValue("const", "value")).toBe("30");
  });

  it("copies nodes with their internal links with Ctrl+C and pastes them into another tab with Ctrl+V", async () => {
    const { studio } = suite;
    await openCounting();
    // Real keys: Blink runs its Copy/Paste editing commands for Ctrl+C/V, which fire the page's
    // copy/paste events; reading the clipboard back from the test needs the permission.
    await studio.page.context().grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: new URL(suite.server.url).origin,
    });
    await studio.focusCanvas();
    await studio.page.keyboard.press("Control+a");
    await studio.page.keyboard.press("Control+c");
    const copied = await studio.page.evaluate(() => navigator.clipboard.readText());
    expect(JSON.parse(copied).format).toBe("infix-workflow");
    expect(Object.keys(JSON.parse(copied).nodes)).toHaveLength(4);
    await studio.page.getByLabel("New tab").click();
    await eventually(() => studio.page.locator(".react-flow__node").count()).toBe(0);
    await studio.focusCanvas();
    await studio.page.keyboard.press("Control+v");
    await eventually(() => studio.page.locator(".react-flow__node").count()).toBe(4);
    await eventually(() => studio.edgeCount()).toBe(3);
    expect(await studio.page.locator(".tab").count()).toBeGreaterThanOrEqual(2);
  });

  it("drags every selected node together, and one undo puts the whole drag back", async () => {
    const { studio } = suite;
    await openCounting();
    const positions = () =>
      studio.page.evaluate<string>(`JSON.stringify(window.infixStudio.tab.doc.getState().workflow.editor.nodes)`);
    const before = await positions();
    await studio.fitView();
    await studio.page.keyboard.press("Control+a");
    const first = (await studio.nodeIds())[0];
    const box = (await studio.node(first).locator(".studio-node__header").boundingBox())!;
    await studio.page.mouse.move(box.x + 20, box.y + box.height / 2);
    await studio.page.mouse.down();
    for (let i = 1; i <= 15; i++) await studio.page.mouse.move(box.x + 20 + i * 6, box.y + box.height / 2 + i * 4);
    await studio.page.mouse.up();
    const after = JSON.parse(await positions()) as Record<string, { position: { x: number; y: number } }>;
    const original = JSON.parse(before) as typeof after;
    const shifts = Object.keys(original).map((id) =>
      [after[id].position.x - original[id].position.x, after[id].position.y - original[id].position.y].join(","),
    );
    expect(new Set(shifts).size).toBe(1); // all moved by the same amount...
    expect(shifts[0]).not.toBe("0,0"); // ...which is not nothing
    await studio.page.keyboard.press("Control+z");
    expect(await positions()).toBe(before);
  });

  it("mutes and bypasses the selected node with Ctrl+M and Ctrl+B", async () => {
    const { studio } = suite;
    await openCounting();
    const first = (await studio.nodeIds())[0];
    await studio.node(first).locator(".studio-node__header").click();
    await studio.page.keyboard.press("Control+m");
    await eventually(() => studio.status(first).getAttribute("class")).toContain("mode-muted");
    await studio.page.keyboard.press("Control+b");
    await eventually(() => studio.status(first).getAttribute("class")).toContain("mode-bypassed");
    await studio.page.keyboard.press("Control+b");
    await eventually(() => studio.status(first).getAttribute("class")).toContain("mode-active");
  });

  it("loads an example from the menu and marks node types this server lacks", async () => {
    const { studio } = suite;
    await studio.openExample();
    await eventually(() => studio.page.locator(".studio-node--unknown").count()).toBeGreaterThan(0);
    await eventually(() => studio.notice.textContent()).toContain("types this server does not know");
    await studio.screenshot("08-example-unknown-types");
  });

  it("names the node type a mistyped one most likely meant, on the node and in the notice", async () => {
    const { studio } = suite;
    const typo = countingWorkflow();
    typo.nodes.const.type = "IntConstnt";
    await studio.uploadWorkflow("typo.json", typo);
    const alert = studio.node("const").locator('[role="alert"]');
    await eventually(() => alert.textContent()).toContain("Did you mean “IntConstant”?");
    await eventually(() => studio.notice.textContent()).toContain("IntConstnt (did you mean IntConstant?)");
  });

  it("adds a group and a note, keeps them in the workflow's editor data, and undoes the note", async () => {
    const { studio } = suite;
    await studio.page.getByRole("button", { name: "Group", exact: true }).click();
    await studio.page.getByRole("button", { name: "Note", exact: true }).click();
    const note = studio.page.getByRole("textbox", { name: "Note" }).last();
    await note.fill("subject: the red kettle");
    const editor = () =>
      studio.page.evaluate<string>(`JSON.stringify(window.infixStudio.tab.doc.getState().workflow.editor)`);
    await eventually(async () => JSON.parse(await editor()).notes.at(-1)?.text).toBe("subject: the red kettle");
    expect(JSON.parse(await editor()).groups.length).toBeGreaterThan(0);
    await studio.fitView();
    await studio.screenshot("10-notes-and-groups");
    await studio.focusCanvas();
    await studio.page.keyboard.press("Control+z"); // the typing
    await studio.page.keyboard.press("Control+z"); // the note itself
    await eventually(async () => JSON.parse(await editor()).notes.length).toBe(0);
  });

  it("resizes a group with its corner handle, and undo restores its size", async () => {
    const { studio } = suite;
    await studio.page.getByLabel("New tab").click();
    await eventually(() => studio.page.locator(".react-flow__node").count()).toBe(0);
    await studio.page.getByRole("button", { name: "Group", exact: true }).click();
    const groups = async () =>
      JSON.parse(
        await studio.page.evaluate<string>(
          `JSON.stringify(window.infixStudio.tab.doc.getState().workflow.editor.groups)`,
        ),
      ) as { position: { x: number; y: number }; size: { width: number; height: number } }[];
    const { size: before, position: placed } = (await groups())[0];
    await studio.fitView(); // it was placed with its corner at the view's centre, partly off-canvas
    const group = studio.page.locator(".react-flow__node:has(.group-node)");
    const frame = (await group.boundingBox())!;
    await studio.page.mouse.click(frame.x + 20, frame.y + frame.height / 2); // below the title field, clear of the minimap
    // The top-right corner: the bottom-right one can sit under the minimap.
    const handle = group.locator(".react-flow__resize-control.handle.top.right");
    await handle.waitFor();
    const corner = (await handle.boundingBox())!;
    await studio.page.mouse.move(corner.x + corner.width / 2, corner.y + corner.height / 2);
    await studio.page.mouse.down();
    await studio.page.mouse.move(corner.x - 120, corner.y + 80, { steps: 10 }); // inwards: narrower and lower
    await studio.page.mouse.up();
    const zoom = await studio.page
      .locator(".react-flow__viewport")
      .evaluate((el) => new DOMMatrix(getComputedStyle(el).transform).a);
    const after = (await groups())[0].size;
    // The mouse moved 120 × 80 screen pixels; in flow units that is divided by the zoom (give or take the 10 px snap).
    expect(Math.abs(before.width - after.width - 120 / zoom)).toBeLessThanOrEqual(10);
    expect(Math.abs(before.height - after.height - 80 / zoom)).toBeLessThanOrEqual(10);
    await studio.screenshot("10b-group-resized");
    await studio.focusCanvas();
    // A top handle moves the frame as it resizes; one undo takes back both.
    expect((await groups())[0].position.y).not.toBe(placed.y);
    await studio.page.keyboard.press("Control+z");
    await eventually(async () => (await groups())[0].size).toEqual(before);
    expect((await groups())[0].position).toEqual(placed);
  });

  it("opens a workflow JSON dropped on the canvas, and shows the shortcuts help", async () => {
    const { studio } = suite;
    await studio.dropFile(
      "dropped.json",
      "application/json",
      new TextEncoder().encode(JSON.stringify({ ...countingWorkflow(), name: "dropped" })),
    );
    await eventually(() => studio.page.locator(".tab.is-active").textContent()).toContain("dropped");
    await studio.node("slow").waitFor();
    await studio.shortcut("?");
    await studio.page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
    expect(await studio.page.locator(".shortcuts tr").count()).toBeGreaterThan(10);
    await studio.screenshot("09-help");
    await studio.page.keyboard.press("Escape");
  });

  it("shows a node's failure on the node, and the run's error in the notice line", async () => {
    const { studio } = suite;
    await studio.uploadWorkflow("failing.json", failingWorkflow("boom on purpose"));
    await studio.node("fail").waitFor();
    await studio.queue();
    await studio.waitForStatus("fail", "failed");
    expect(await studio.node("fail").locator(".studio-node__problem").textContent()).toContain("boom on purpose");
    await eventually(() => studio.notice.textContent()).toContain("boom on purpose");
    expect(await studio.statusOf("show")).not.toBe("done");
    // The queue panel follows: the failed job is not left showing as queued.
    await eventually(() => studio.page.locator(".job").first().getAttribute("data-status")).toBe("failed");
    await studio.screenshot("11-node-failed");
  });
});

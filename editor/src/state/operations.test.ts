import { emptyWorkflow, type Workflow } from "@infix/graph";
import { produce } from "immer";
import { describe, expect, it } from "vitest";
import { extractFragment, pasteFragment } from "./fragment.ts";
import {
  addNode,
  advanceSeeds,
  connect,
  moveNodes,
  removeNodes,
  setInputValue,
  toggleMode,
  unlinkInput,
} from "./operations.ts";
import { emptyLatent, sampler, saveImage } from "./test-catalog.ts";

function graph(): { wf: Workflow; latent: string; samp: string } {
  const wf = emptyWorkflow();
  const latent = addNode(wf, emptyLatent, { x: 0, y: 0 });
  const samp = addNode(wf, sampler, { x: 300, y: 40 });
  connect(wf, latent, "latents", samp, "latents");
  return { wf, latent, samp };
}

describe("workflow operations", () => {
  it("adds nodes with counting ids, widget defaults and a randomize seed control", () => {
    const { wf, latent, samp } = graph();
    expect([latent, samp]).toEqual(["1", "2"]);
    expect(wf.nodes[samp].inputs).toMatchObject({ steps: 20, cfg: 7.5, seed: 42, scheduler: "pndm" });
    expect(wf.editor?.nodes[samp]).toEqual({ position: { x: 300, y: 40 }, seedControl: { seed: "randomize" } });
  });

  it("restores the typed widget value when a link on it is removed", () => {
    const { wf, latent, samp } = graph();
    setInputValue(wf, samp, "steps", 33);
    connect(wf, latent, "latents", samp, "steps");
    expect(wf.nodes[samp].inputs.steps).toEqual({ node: latent, output: "latents" });
    unlinkInput(wf, samp, "steps");
    expect(wf.nodes[samp].inputs.steps).toBe(33);
    unlinkInput(wf, samp, "latents"); // no stashed value: the input is left out
    expect("latents" in wf.nodes[samp].inputs).toBe(false);
  });

  it("removes a node with its layout and the links out of it", () => {
    const { wf, latent, samp } = graph();
    removeNodes(wf, [latent]);
    expect(Object.keys(wf.nodes)).toEqual([samp]);
    expect(wf.editor?.nodes[latent]).toBeUndefined();
    expect(wf.nodes[samp].inputs.latents).toBeUndefined();
  });

  it("toggles mute: all muted → active again", () => {
    const { wf, latent, samp } = graph();
    toggleMode(wf, [latent], "muted");
    expect(wf.nodes[latent].mode).toBe("muted");
    toggleMode(wf, [latent, samp], "muted");
    expect([wf.nodes[latent].mode, wf.nodes[samp].mode]).toEqual(["muted", "muted"]);
    toggleMode(wf, [latent, samp], "muted");
    expect(wf.nodes[latent].mode).toBe("active");
  });

  it("moves nodes through immer without touching the others", () => {
    const { wf, latent, samp } = graph();
    const next = produce(wf, (d) => moveNodes(d, { [samp]: { x: 5, y: 6 } }));
    expect(next.editor?.nodes[samp].position).toEqual({ x: 5, y: 6 });
    expect(next.editor?.nodes[latent]).toBe(wf.editor?.nodes[latent]);
  });

  it("advances seeds by their control after a run", () => {
    const { wf, samp } = graph();
    const seeds = (type: string) => (type === "Sampler" ? ["seed"] : []);
    wf.editor!.nodes[samp].seedControl = { seed: "increment" };
    advanceSeeds(wf, seeds);
    expect(wf.nodes[samp].inputs.seed).toBe(43);
    wf.editor!.nodes[samp].seedControl = { seed: "fixed" };
    advanceSeeds(wf, seeds);
    expect(wf.nodes[samp].inputs.seed).toBe(43);
    wf.editor!.nodes[samp].seedControl = { seed: "randomize" };
    advanceSeeds(wf, seeds, () => 0.5);
    expect(wf.nodes[samp].inputs.seed).toBe(2 ** 31 * 2 ** 21 + 2 ** 20);
    advanceSeeds(wf, seeds, () => 0.9999999999999999);
    expect(wf.nodes[samp].inputs.seed).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
  });
});

describe("copy and paste as workflow JSON", () => {
  it("keeps links inside the copied nodes, rewired to the copies, and drops links from outside", () => {
    const { wf, latent, samp } = graph();
    const save = addNode(wf, saveImage, { x: 600, y: 0 });
    const both = extractFragment(wf, [latent, samp]);
    const onlySampler = extractFragment(wf, [samp]);
    expect(onlySampler.nodes[samp].inputs.latents).toBeUndefined();

    const json = JSON.parse(JSON.stringify(both)) as Workflow; // through the clipboard
    const ids = pasteFragment(wf, json, { x: 1000, y: 1000 });
    expect(ids).toEqual(["4", "5"]);
    expect(wf.nodes["5"].inputs.latents).toEqual({ node: "4", output: "latents" });
    expect(wf.editor?.nodes["4"].position).toEqual({ x: 1000, y: 1000 });
    expect(wf.editor?.nodes["5"].position).toEqual({ x: 1300, y: 1040 });
    // Originals untouched.
    expect(wf.nodes[samp].inputs.latents).toEqual({ node: latent, output: "latents" });
    expect(Object.keys(wf.nodes)).toEqual([latent, samp, save, "4", "5"]);
  });
});

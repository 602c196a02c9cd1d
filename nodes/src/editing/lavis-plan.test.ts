import { beforeAll, describe, expect, it } from "vitest";
import type { TextTokenizer } from "../pack/types.ts";
import { loadEditCase, referenceClipTokenizer } from "../testing/reference-edit.ts";
import { crossReplaceAlpha, selfReplaceActive } from "./edit-schedule.ts";
import { planEdit, type EditSettings } from "./edit-plan.ts";
import { LocalBlendState, type BlendGeometry } from "./local-blend.ts";

/**
 * The LAVIS-compatible edit against LAVIS's own recorded run (../shared/fixtures/reference-edit):
 * prompts and ids, mapper and alphas, per-call word alphas and self-replace window, the local
 * blend's word indicator, accumulated maps, masks and blended latents at every step. These need
 * only the fixture's tokenizer and tensors, not the weights.
 */

const CASES = ["synth_cat2dog_s8", "real_cat2dog_s6"] as const;
let tokenizer: TextTokenizer;
beforeAll(async () => {
  tokenizer = await referenceClipTokenizer();
});

const KEYS = 77;

function settingsOf(name: string): EditSettings {
  const { info } = loadEditCase(name);
  return {
    sourceSubject: info.src_subject,
    targetSubject: info.tgt_subject,
    prompt: info.prompt,
    kind: "refine",
    reweight: [],
    crossReplaceSteps: info.cross_replace_steps,
    selfReplaceSteps: info.self_replace_steps,
    blendWords: null,
    localBlend: true,
    threshold: info.lb_threshold,
    lavisCompatible: true,
  };
}

const pad = (ids: number[], length: number, padId: number) => [...ids, ...new Array(length - ids.length).fill(padId)];

describe.each(CASES)("LAVIS-compatible plan of %s", (name) => {
  const fixture = loadEditCase(name);
  const { info } = fixture;
  const layout = { keys: KEYS, subjectTokens: info.num_query_tokens, ctxBeginPos: 2 };

  it("builds LAVIS's prompts and token ids", () => {
    const plan = planEdit(tokenizer, settingsOf(name), layout);
    expect([plan.sourcePrompt, plan.targetPrompt]).toEqual(info.prompts);
    const padId = tokenizer.padId;
    expect(pad(tokenizer.encode(plan.sourcePrompt).ids, KEYS, padId)).toEqual(fixture.int("src_input_ids"));
    expect(pad(tokenizer.encode(plan.targetPrompt).ids, KEYS - layout.subjectTokens, padId)).toEqual(
      fixture.int("tgt_input_ids"),
    );
    expect(tokenizer.encode(plan.sourcePrompt).ids).toEqual(fixture.int("mapper_x_ids"));
    expect(tokenizer.encode(plan.targetPrompt).ids).toEqual(fixture.int("mapper_y_ids"));
    if (info.inversion_prompt) {
      expect([plan.inversionPrompt]).toEqual(info.inversion_prompt);
      expect(pad(tokenizer.encode(plan.inversionPrompt).ids, KEYS, padId)).toEqual(fixture.int("inv_input_ids"));
    }
  });

  it("has LAVIS's mapper and alphas exactly", () => {
    const plan = planEdit(tokenizer, settingsOf(name), layout);
    expect(Array.from(plan.mapping.mapper)).toEqual(fixture.int("mapper"));
    expect(Array.from(plan.mapping.alphas)).toEqual(Array.from(fixture.float("alphas")));
    expect(Array.from(plan.scales).every((s) => s === 1)).toBe(true);
  });

  it("has LAVIS's word alphas and self-replace window at every call", () => {
    const table = fixture.float("cross_replace_alpha");
    const [rows] = fixture.shape("cross_replace_alpha");
    expect(rows).toBe(info.steps + 1);
    for (let call = 0; call < rows; call++) {
      const alpha = crossReplaceAlpha(call, info.steps, info.cross_replace_steps);
      expect(Array.from(table.subarray(call * KEYS, (call + 1) * KEYS)).every((v) => v === alpha)).toBe(true);
    }
    for (let call = 0; call < info.unet_calls; call++) {
      const step = String(call).padStart(2, "0");
      const alpha = crossReplaceAlpha(call, info.steps, info.cross_replace_steps);
      expect(Array.from(fixture.float(`step${step}.alpha_words`))).toEqual(new Array(KEYS).fill(alpha));
      expect(fixture.float(`step${step}.self_mix`)[0]).toBe(
        selfReplaceActive(call, info.steps, info.self_replace_steps) ? 1 : 0,
      );
    }
    const [from, to] = info.num_self_replace;
    expect(from).toBe(0);
    expect(Math.trunc(info.steps * info.self_replace_steps)).toBe(to);
  });

  it("weights the source subject on the source row only (LocalBlend's zip)", () => {
    const plan = planEdit(tokenizer, settingsOf(name), layout);
    const expected = fixture.float("lb_alpha_layers");
    expect(Array.from(plan.blendWords![0])).toEqual(Array.from(expected.subarray(0, KEYS)));
    expect(Array.from(plan.blendWords![1])).toEqual(Array.from(expected.subarray(KEYS)));
  });

  it("accumulates the maps, and gives LAVIS's masks and blended latents at every step", () => {
    const plan = planEdit(tokenizer, settingsOf(name), layout);
    const [lowHeight, lowWidth] = info.lowres_size;
    const [height, width] = info.latent_size;
    const geometry: BlendGeometry = { keys: KEYS, lowHeight, lowWidth, height, width };
    const blend = new LocalBlendState({ words: plan.blendWords!, threshold: info.lb_threshold }, geometry);
    let worstAccum = 0;
    let worstMaps = 0;
    for (let call = 0; call < info.unet_calls; call++) {
      const step = String(call).padStart(2, "0");
      blend.accumulate(fixture.float(`step${step}.lowres`));
      const maps = blend.maps();
      const accum = fixture.float(`step${step}.lowres_accum`);
      for (let i = 0; i < accum.length; i++)
        worstAccum = Math.max(worstAccum, Math.abs(maps.accumulated[i] - accum[i]) / Math.abs(accum[i] || 1));
      // Teacher forcing: blend the reference's scheduler output with our mask.
      const latents = fixture.float(`step${step}.latents_sched`).slice();
      blend.apply(latents, 4);
      const after = blend.maps();
      const lbMaps = fixture.float(`step${step}.lb_maps`);
      for (let i = 0; i < lbMaps.length; i++)
        worstMaps = Math.max(worstMaps, Math.abs(after.wordMaps[i] - lbMaps[i]) / Math.max(Math.abs(lbMaps[i]), 1e-6));
      expect(Array.from(after.mask), `mask at call ${call}`).toEqual(Array.from(fixture.float(`step${step}.lb_mask`)));
      expect(Array.from(latents), `blended latents at call ${call}`).toEqual(
        Array.from(fixture.float(`step${step}.latents`)),
      );
    }
    // Summation order differs from LAVIS's (EDITING.md §11): relative, not bitwise.
    expect(worstAccum).toBeLessThan(1e-6);
    expect(worstMaps).toBeLessThan(1e-5);
  });
});

import { floatTensor, type NodeDefinition, type NodeInputs } from "@infix/engine";
import { inputError, numberInput, optionalTaggedInput, stringInput } from "../inputs.ts";
import { packInput } from "../model/pack-input.ts";
import type { Conditioning, SubjectEmbedding } from "../sockets.ts";
import { checkSubjectShape } from "../subject/subject-file.ts";
import { encodeText } from "../text/encode-text.ts";
import { EDIT_STARTS, type AttentionEdit, type EditStart } from "./attention-edit.ts";
import { EDIT_KINDS, EditPlanError, planEdit, type EditKind, type EditSettings } from "./edit-plan.ts";

/** "dog:2, grass:0.5" → [{word: "dog", scale: 2}, …]; an error message for a malformed entry. */
export function parseReweight(text: string): { word: string; scale: number }[] | string {
  const out: { word: string; scale: number }[] = [];
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const match = /^\s*([^:]+?)\s*:\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i.exec(part);
    if (!match) return `"${part.trim()}" is not word:scale (e.g. dog:2).`;
    const scale = Number(match[2]);
    if (!Number.isFinite(scale) || scale < 0) return `The scale of "${match[1]}" must be a number ≥ 0.`;
    out.push({ word: match[1], scale });
  }
  return out;
}

function fraction(inputs: NodeInputs, name: string): number {
  const value = numberInput(inputs, name);
  if (!(value >= 0 && value <= 1))
    throw inputError(name, `${name} ${value} must be between 0 and 1.`, "0..1", String(value));
  return value;
}

function booleanInput(inputs: NodeInputs, name: string): boolean {
  const value = inputs[name];
  if (typeof value !== "boolean")
    throw inputError(name, `Input "${name}" needs true or false.`, "boolean", typeof value);
  return value;
}

/**
 * Attention Controller: describes a prompt-to-prompt edit of a picture's subject (Hertz et al.
 * 2022; BLIP-Diffusion's editing, LAVIS `generate_then_edit` / `edit`). Outputs the
 * description for the Sampler, the source conditioning (the Sampler's positive) and the
 * inversion prompt's conditioning (for DDIM Inversion of a real picture).
 */
export const attentionControllerNode: NodeDefinition = {
  schema: {
    type: "AttentionController",
    version: 1,
    category: "editing",
    title: "Attention Controller",
    description:
      "Swaps the subject of a picture while keeping the rest (prompt-to-prompt with local blend). The Sampler then renders the source 'a {source} {prompt}' and the edited 'a {target} {prompt}' (with the subject embedding) side by side from the same noise; the edited row takes the source's cross-attention on the shared words for the first cross_replace_steps of the run and its self-attention for the first self_replace_steps, and local blend keeps it equal to the source outside the subject words' attention (normalised > threshold). " +
      "lavis_compatible off (default, our fixed behaviour): the alignment is computed on the keys the UNet really sees, so the subject embedding's keys keep their own attention and the shared words map onto themselves; the inversion prompt is 'a {source} {prompt}'; blend words are looked up on both rows (the target's subject embedding counts as its subject); subjects of several words work; each run starts afresh. " +
      "lavis_compatible on: LAVIS BLIP-Diffusion exactly, for matching its published notebooks — target text 'a sks×Q {target} {prompt}', the refinement mapper built on the texts and applied to the spliced keys (off by Q), inversion prompt from the source subject's first letter ('a c …' for cat), blend words on the source row only and only single words. In both, guidance ≤ 1 runs the two rows unguided and edits the target row against the source row (LAVIS would mix attention heads within one row there).",
    inputs: [
      { name: "pack", type: "MODEL_PACK" },
      {
        name: "subject",
        type: "SUBJECT",
        optional: true,
        description: "The reference subject spliced into the target prompt; without it, a plain text edit.",
      },
      {
        name: "source_subject",
        type: "STRING",
        description: "What the picture shows now, e.g. cat.",
        widget: { kind: "STRING", default: "cat", nonEmpty: true },
      },
      {
        name: "target_subject",
        type: "STRING",
        description: "What it becomes, e.g. dog (the reference subject's category).",
        widget: { kind: "STRING", default: "dog", nonEmpty: true },
      },
      {
        name: "prompt",
        type: "STRING",
        description: "The rest of the scene, shared by both prompts.",
        widget: { kind: "STRING", default: "sitting on the grass", multiline: true },
      },
      {
        name: "edit",
        type: "STRING",
        description:
          "refine: align the prompts' tokens (words may differ); replace: prompts of equal token count, word for word; reweight: refine plus per-word scales.",
        widget: { kind: "ENUM", default: "refine", options: [...EDIT_KINDS] },
      },
      {
        name: "reweight",
        type: "STRING",
        description: "For reweight: target-prompt words and attention scales, e.g. dog:2, grass:0.5.",
        widget: { kind: "STRING", default: "" },
      },
      {
        name: "cross_replace_steps",
        type: "FLOAT",
        description: "Fraction of the run during which the edited row follows the source's cross-attention.",
        widget: { kind: "FLOAT", default: 0.8, min: 0, max: 1, step: 0.05 },
      },
      {
        name: "self_replace_steps",
        type: "FLOAT",
        description: "Fraction of the run during which the edited row takes the source's coarse self-attention.",
        widget: { kind: "FLOAT", default: 0.4, min: 0, max: 1, step: 0.05 },
      },
      {
        name: "local_blend",
        type: "BOOLEAN",
        description: "Keep the edited row equal to the source outside the blend words' attention.",
        widget: { kind: "BOOLEAN", default: true },
      },
      {
        name: "blend_words",
        type: "STRING",
        description: "Comma-separated words the local blend follows; empty = the subjects.",
        widget: { kind: "STRING", default: "" },
      },
      {
        name: "threshold",
        type: "FLOAT",
        description: "Local blend: where the normalised attention of the blend words exceeds this, the edit shows.",
        widget: { kind: "FLOAT", default: 0.3, min: 0, max: 1, step: 0.01 },
      },
      {
        name: "start",
        type: "STRING",
        description:
          "generated: both rows from seeded noise (generate, then edit). inverted: the Sampler's noise comes from DDIM Inversion; the source row then follows the unguided prediction to reconstruct the picture, and DDIM with LAVIS's settings samples unless a Scheduler node is wired into the Sampler.",
        widget: { kind: "ENUM", default: "generated", options: [...EDIT_STARTS] },
      },
      {
        name: "lavis_compatible",
        type: "BOOLEAN",
        description: "Reproduce LAVIS BLIP-Diffusion's editing exactly, defects included (see the node's description).",
        widget: { kind: "BOOLEAN", default: false },
      },
    ],
    outputs: [
      { name: "control", type: "ATTENTION_CONTROL" },
      { name: "source", type: "CONDITIONING" },
      { name: "inversion", type: "CONDITIONING" },
    ],
    isOutput: false,
  },
  validate(values) {
    const problems: string[] = [];
    if (typeof values.edit === "string" && !(EDIT_KINDS as readonly string[]).includes(values.edit))
      problems.push(`Unknown edit "${values.edit}"; choose ${EDIT_KINDS.join(", ")}.`);
    if (typeof values.reweight === "string") {
      const parsed = parseReweight(values.reweight);
      if (typeof parsed === "string") problems.push(parsed);
    }
    return problems;
  },
  async run(inputs, ctx) {
    const pack = packInput(inputs);
    const subject = optionalTaggedInput<SubjectEmbedding>(inputs, "subject", "SUBJECT");
    const kind = stringInput(inputs, "edit") as EditKind;
    if (!EDIT_KINDS.includes(kind))
      throw inputError("edit", `Unknown edit "${kind}"; choose ${EDIT_KINDS.join(", ")}.`, EDIT_KINDS.join("|"), kind);
    const start = stringInput(inputs, "start") as EditStart;
    if (!EDIT_STARTS.includes(start))
      throw inputError("start", `Unknown start "${start}".`, EDIT_STARTS.join("|"), start);
    const reweight = parseReweight(stringInput(inputs, "reweight"));
    if (typeof reweight === "string") throw inputError("reweight", reweight, "word:scale, …");
    const blendText = stringInput(inputs, "blend_words").trim();
    const {
      num_query_tokens: q,
      text_hidden_size: d,
      text_max_length: keys,
      ctx_begin_pos: ctxBeginPos,
    } = pack.manifest;
    if (subject) {
      const problem = checkSubjectShape(subject.embedding.dims, q, d);
      if (problem) throw inputError("subject", `The subject does not fit this pack: ${problem}.`, `[${q},${d}]`);
      if (subject.embedding.dims.length === 3 && subject.embedding.dims[0] !== 1)
        throw inputError("subject", "An edit takes one subject embedding; mix a batch first.", "[Q,D]");
    }
    const settings: EditSettings = {
      sourceSubject: stringInput(inputs, "source_subject"),
      targetSubject: stringInput(inputs, "target_subject"),
      prompt: stringInput(inputs, "prompt"),
      kind,
      reweight,
      crossReplaceSteps: fraction(inputs, "cross_replace_steps"),
      selfReplaceSteps: fraction(inputs, "self_replace_steps"),
      blendWords: blendText
        ? blendText
            .split(",")
            .map((w) => w.trim())
            .filter(Boolean)
        : null,
      localBlend: booleanInput(inputs, "local_blend"),
      threshold: fraction(inputs, "threshold"),
      lavisCompatible: booleanInput(inputs, "lavis_compatible"),
    };
    const tokenizer = await pack.clipTokenizer();
    let plan;
    try {
      plan = planEdit(tokenizer, settings, { keys, subjectTokens: subject ? q : 0, ctxBeginPos });
    } catch (error) {
      if (error instanceof EditPlanError) throw inputError(error.input, error.message);
      throw error;
    }
    const sourceText = await encodeText(pack, [plan.sourcePrompt], undefined, ctx.signal);
    const targetText = await encodeText(
      pack,
      [plan.targetPrompt],
      subject ? floatTensor([1, q, d], subject.embedding.data) : undefined,
      ctx.signal,
    );
    const inversionText =
      plan.inversionPrompt === plan.sourcePrompt
        ? sourceText
        : await encodeText(pack, [plan.inversionPrompt], undefined, ctx.signal);
    const control: AttentionEdit = {
      type: "ATTENTION_CONTROL",
      kind: "prompt-to-prompt",
      packHash: pack.hash,
      sourcePrompt: plan.sourcePrompt,
      targetPrompt: plan.targetPrompt,
      source: sourceText.embedding,
      target: targetText.embedding,
      mapping: plan.mapping,
      scales: plan.scales,
      crossReplaceSteps: settings.crossReplaceSteps,
      selfReplaceSteps: settings.selfReplaceSteps,
      blend: plan.blendWords ? { words: plan.blendWords, threshold: settings.threshold } : null,
      keyLabels: plan.keyLabels,
      start,
      lavisCompatible: settings.lavisCompatible,
    };
    const conditioning = (prompt: string, encoded: typeof sourceText): Conditioning => ({
      type: "CONDITIONING",
      embedding: encoded.embedding,
      packHash: pack.hash,
      prompts: [prompt],
      tokenIds: encoded.tokenIds,
    });
    return {
      control,
      source: conditioning(plan.sourcePrompt, sourceText),
      inversion: conditioning(plan.inversionPrompt, inversionText),
    };
  },
};

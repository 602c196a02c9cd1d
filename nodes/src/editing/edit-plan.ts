/**
 * From the user's edit settings and the CLIP tokenizer to the plain description of an edit:
 * the prompts of both rows, the key mapping the edited row's cross-attention follows, the
 * per-key scales (reweight), and the local blend's word indicator per row. Two behaviours
 * (../shared/EDITING.md):
 * - ours (`lavisCompatible` false): the target prompt is `a {target} {prompt}` with the Q
 *   subject embeddings spliced in at ctx_begin_pos; the alignment is computed on the keys the
 *   UNet actually sees (the subject's keys match nothing and keep their own attention); the
 *   inversion prompt is `a {source} {prompt}`; blend words are looked up on both rows, and a
 *   subject of several words is found as a phrase.
 * - LAVIS's (`lavisCompatible` true): target text `a {sks × Q}{target} {prompt}` tokenized to
 *   77 − Q with the subject spliced in at 2, the mapper computed on the texts and applied to the
 *   keys as is (§3), inversion prompt `a {source[0]} {prompt}` (§2), blend words on the source
 *   row only, by LAVIS's split-on-space lookup (§6).
 */
import type { TextTokenizer } from "../pack/types.ts";
import { refinementMapping, replacementMapping, type KeyMapping } from "./alignment.ts";
import { blipCaption, lavisWordIndices, phraseIndices } from "./word-indices.ts";

export const EDIT_KINDS = ["refine", "replace", "reweight"] as const;
export type EditKind = (typeof EDIT_KINDS)[number];

export interface EditSettings {
  readonly sourceSubject: string;
  readonly targetSubject: string;
  readonly prompt: string;
  readonly kind: EditKind;
  /** Reweight: word (or phrase) → attention scale on the target row. */
  readonly reweight: readonly { readonly word: string; readonly scale: number }[];
  readonly crossReplaceSteps: number;
  readonly selfReplaceSteps: number;
  /** Words the local blend follows; null = the subjects (LAVIS: the source subject). */
  readonly blendWords: readonly string[] | null;
  readonly localBlend: boolean;
  readonly threshold: number;
  readonly lavisCompatible: boolean;
}

/** Token layout of the model the edit runs on. */
export interface KeyLayout {
  /** text_max_length (77) */
  readonly keys: number;
  /** Q subject embeddings spliced into the target row (0 without a subject). */
  readonly subjectTokens: number;
  readonly ctxBeginPos: number;
}

export interface EditPlan {
  readonly sourcePrompt: string;
  readonly targetPrompt: string;
  readonly inversionPrompt: string;
  /** Key mapping of the edited row (length `keys`). */
  readonly mapping: KeyMapping;
  /** Per-key scale of the edited row's attention (1 except reweighted words). */
  readonly scales: Float32Array;
  /** Word indicator per conditional row (source, target), or null without local blend. */
  readonly blendWords: readonly [Float32Array, Float32Array] | null;
  /** What each key holds, per row, for the Attention Maps labels. */
  readonly keyLabels: readonly [readonly string[], readonly string[]];
}

/** Thrown for settings that cannot make an edit; `input` names the node input to fix. */
export class EditPlanError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
  }
}

/** Token positions of the target text → key positions once Q subject keys sit at ctxBeginPos. */
function toKey(position: number, layout: KeyLayout): number {
  return layout.subjectTokens > 0 && position >= layout.ctxBeginPos ? position + layout.subjectTokens : position;
}

/** Labels of a text's token positions: each token gets the word it belongs to. */
function textLabels(tokenizer: TextTokenizer, text: string, length: number): string[] {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const labels: string[] = ["<start>"];
  for (const word of words) {
    const pieces = Math.max(0, tokenizer.encode(word).ids.length - 2);
    for (let i = 0; i < pieces; i++) labels.push(pieces > 1 ? `${word}[${i}]` : word);
  }
  labels.push("<end>");
  const out = labels.slice(0, length);
  if (labels.length > length) out[length - 1] = "<end>";
  while (out.length < length) out.push("<pad>");
  return out;
}

/** Keys of the target row: the text's labels with the Q subject keys inserted. */
function keyLabels(textLabelsOf: string[], layout: KeyLayout): string[] {
  if (layout.subjectTokens === 0) return textLabelsOf.slice(0, layout.keys);
  const subject = Array.from({ length: layout.subjectTokens }, (_, i) => `<subject ${i}>`);
  return [
    ...textLabelsOf.slice(0, layout.ctxBeginPos),
    ...subject,
    ...textLabelsOf.slice(layout.ctxBeginPos, layout.keys - layout.subjectTokens),
  ];
}

function indicator(positions: readonly number[], keys: number): Float32Array {
  const out = new Float32Array(keys);
  for (const p of positions) if (p >= 0 && p < keys) out[p] = 1;
  return out;
}

/** Builds the plan, or throws EditPlanError naming the input at fault. */
export function planEdit(tokenizer: TextTokenizer, settings: EditSettings, layout: KeyLayout): EditPlan {
  const { keys, subjectTokens: q, ctxBeginPos } = layout;
  const lavis = settings.lavisCompatible;
  const source = lavis ? blipCaption(settings.sourceSubject) : settings.sourceSubject.trim();
  const target = lavis ? blipCaption(settings.targetSubject) : settings.targetSubject.trim();
  if (!source)
    throw new EditPlanError("source_subject", "The source subject is empty; name what the picture shows, e.g. cat.");
  if (!target)
    throw new EditPlanError("target_subject", "The target subject is empty; name what it becomes, e.g. dog.");
  const prompt = settings.prompt.trim();
  const sourcePrompt = `a ${source} ${prompt}`;
  // LAVIS (§2): Q literal placeholder words before the target subject; ours: the embeddings alone.
  const targetPrompt = lavis && q > 0 ? `a ${"sks ".repeat(q)}${target} ${prompt}` : `a ${target} ${prompt}`;
  // LAVIS's _build_prompt zips the one-prompt list with the subject *string*: only its first letter (§2).
  const inversionPrompt = lavis ? `a ${source[0]} ${prompt}` : sourcePrompt;

  const sourceIds = tokenizer.encode(sourcePrompt, { maxLength: keys }).ids;
  const targetText = tokenizer.encode(targetPrompt, { maxLength: keys - q }).ids;
  const ownKeys = new Array<boolean>(keys).fill(false);
  for (let i = 0; i < q; i++) ownKeys[ctxBeginPos + i] = true;

  let mapping: KeyMapping;
  if (settings.kind === "replace") {
    if (sourceIds.length !== targetText.length)
      throw new EditPlanError(
        "edit",
        `Replace needs prompts of equal token count, but "${sourcePrompt}" has ${sourceIds.length} tokens and "${targetPrompt}" has ${targetText.length}; use refine, or subjects of the same token count.`,
      );
    mapping = replacementMapping(lavis ? new Array<boolean>(keys).fill(false) : ownKeys, keys);
  } else if (lavis) {
    // §3: the mapper is built on the texts (BOS…EOS, no truncation) and applied to the spliced keys unchanged.
    mapping = refinementMapping(tokenizer.encode(sourcePrompt).ids, tokenizer.encode(targetPrompt).ids, keys);
  } else {
    // Ours: align on the keys the UNet sees; the subject's keys are unique symbols that match nothing.
    const targetKeys = [...targetText];
    if (q > 0) targetKeys.splice(ctxBeginPos, 0, ...Array.from({ length: q }, (_, i) => -1 - i));
    mapping = refinementMapping(sourceIds, targetKeys.slice(0, keys), keys);
  }

  const targetPosition = (p: number) => (lavis ? p : toKey(p, layout));
  const scales = new Float32Array(keys).fill(1);
  if (settings.kind === "reweight") {
    if (settings.reweight.length === 0)
      throw new EditPlanError("reweight", 'Reweight needs words and scales, e.g. "dog:2, grass:0.5".');
    for (const { word, scale } of settings.reweight) {
      const found = phraseIndices(tokenizer, targetPrompt, word);
      if (found.length === 0)
        throw new EditPlanError("reweight", `"${word}" is not a word of the target prompt "${targetPrompt}".`);
      for (const p of found) scales[targetPosition(p)] = scale;
    }
  }

  let blendWords: [Float32Array, Float32Array] | null = null;
  if (settings.localBlend) {
    const words = settings.blendWords && settings.blendWords.length > 0 ? settings.blendWords : null;
    if (lavis) {
      // §6.3: LocalBlend zips [src, tgt] with a 1-tuple of words: only the source row gets any.
      const wanted = words ?? [source];
      blendWords = [
        indicator(
          wanted.flatMap((w) => lavisWordIndices(tokenizer, sourcePrompt, w)),
          keys,
        ),
        new Float32Array(keys),
      ];
    } else {
      const sourceWords = words ?? [source];
      const targetWords = words ?? [target];
      const targetKeysOf = targetWords.flatMap((w) => phraseIndices(tokenizer, targetPrompt, w).map(targetPosition));
      // The subject's own keys stand for the target subject as much as its word does.
      if (!words) for (let i = 0; i < q; i++) targetKeysOf.push(ctxBeginPos + i);
      blendWords = [
        indicator(
          sourceWords.flatMap((w) => phraseIndices(tokenizer, sourcePrompt, w)),
          keys,
        ),
        indicator(targetKeysOf, keys),
      ];
      if (blendWords[0].every((v) => v === 0) && blendWords[1].every((v) => v === 0))
        throw new EditPlanError(
          "blend_words",
          `None of the blend words (${(words ?? [source, target]).join(", ")}) is in "${sourcePrompt}" or "${targetPrompt}".`,
        );
    }
  }

  const sourceLabels = textLabels(tokenizer, sourcePrompt, keys);
  const targetLabels = keyLabels(textLabels(tokenizer, targetPrompt, keys - q), layout);
  return {
    sourcePrompt,
    targetPrompt,
    inversionPrompt,
    mapping,
    scales,
    blendWords,
    keyLabels: [sourceLabels, targetLabels],
  };
}

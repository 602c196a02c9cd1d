/**
 * One Sampler run of a prompt-to-prompt edit: per UNet call the attention-control inputs
 * (../shared/EDITING.md §11), after each scheduler step the local blend, and with an
 * inverted start the source row's unguided prediction. Created fresh per run from the
 * cached description, so step counters and map sums never outlive the run.
 */
import type { FloatTensor } from "@infix/engine";
import type { AttentionControl, AttentionControlFeeds, UnetCallInfo } from "../sockets.ts";
import type { AttentionEdit, AttentionMapsRecord } from "./attention-edit.ts";
import { crossReplaceAlpha, selfReplaceActive } from "./edit-schedule.ts";
import { LocalBlendState, type BlendGeometry } from "./local-blend.ts";

export interface EditSessionOptions {
  /** The user's inference steps N (PNDM calls the UNet N+1 times). */
  readonly steps: number;
  /** Whether the UNet batch is [uncond×2; cond×2] (guidance on) or [src; tgt]. */
  readonly guided: boolean;
  readonly keys: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** What the session did at each call, for tests and the maps record. */
export interface EditTrace {
  readonly wordAlpha: number[];
  readonly selfMix: number[];
  readonly masks: Uint8Array[];
}

export interface EditSession extends AttentionControl {
  feeds(call: UnetCallInfo): AttentionControlFeeds;
  readonly trace: EditTrace;
  record(): AttentionMapsRecord;
}

/** The per-key weights of the edited row, precomputed: map entries (source key, key, a·s) and keep parts. */
function editedRowTerms(edit: AttentionEdit, keys: number) {
  const entries: { from: number; to: number; weight: number }[] = [];
  const ownWeight = new Float32Array(keys);
  for (let k = 0; k < keys; k++) {
    const a = edit.mapping.alphas[k];
    const s = edit.scales[k];
    const from = edit.mapping.mapper[k];
    if (a !== 0 && from >= 0) entries.push({ from, to: k, weight: Math.fround(a * s) });
    ownWeight[k] = Math.fround((1 - a) * s);
  }
  return { entries, ownWeight };
}

export function createEditSession(edit: AttentionEdit, options: EditSessionOptions): EditSession {
  const { steps, guided, keys, channels, height, width } = options;
  const rows = guided ? 4 : 2;
  // Row layout of the UNet batch: with guidance [uncond·src, uncond·tgt, src, tgt]; base row 2 edits row 3.
  const sourceRow = guided ? 2 : 0;
  const editedRow = sourceRow + 1;
  const { entries, ownWeight } = editedRowTerms(edit, keys);

  const crossAttnBase = new BigInt64Array(rows);
  for (let b = 0; b < rows; b++) crossAttnBase[b] = BigInt(b);
  crossAttnBase[editedRow] = BigInt(sourceRow);
  const selfAttnBase = crossAttnBase.slice();
  const crossAttnMap = new Float32Array(rows * keys * keys);
  const crossAttnKeep = new Float32Array(rows * keys).fill(1);
  const selfAttnMix = new Float32Array(rows);
  const feeds: AttentionControlFeeds = { crossAttnBase, crossAttnMap, crossAttnKeep, selfAttnBase, selfAttnMix };

  const geometry: BlendGeometry = {
    keys,
    lowHeight: Math.ceil(height / 4),
    lowWidth: Math.ceil(width / 4),
    height,
    width,
  };
  const blend = new LocalBlendState(
    edit.blend ? { words: edit.blend.words, threshold: edit.blend.threshold } : null,
    geometry,
  );
  const trace: EditTrace = { wordAlpha: [], selfMix: [], masks: [] };
  const mapOffset = editedRow * keys * keys;

  return {
    type: "ATTENTION_CONTROL",
    trace,
    feeds(call: UnetCallInfo): AttentionControlFeeds {
      if (call.guided !== guided) throw new Error("attention edit: the Sampler's guidance changed within a run");
      const alpha = crossReplaceAlpha(call.step, steps, edit.crossReplaceSteps);
      // A'₃[k] = α·(a[k]·s[k]·A₂[m[k]] + (1−a[k])·s[k]·A₃[k]) + (1−α)·A₃[k]; with α, a ∈ {0,1} and s = 1 this is LAVIS's bit for bit.
      crossAttnMap.fill(0, mapOffset, mapOffset + keys * keys);
      for (const { from, to, weight } of entries)
        crossAttnMap[mapOffset + from * keys + to] = Math.fround(alpha * weight);
      for (let k = 0; k < keys; k++)
        crossAttnKeep[editedRow * keys + k] = Math.fround(Math.fround(alpha * ownWeight[k]) + (1 - alpha));
      const mix = selfReplaceActive(call.step, steps, edit.selfReplaceSteps) ? 1 : 0;
      selfAttnMix[editedRow] = mix;
      trace.wordAlpha.push(alpha);
      trace.selfMix.push(mix);
      return feeds;
    },
    adjustPrediction(prediction: Float32Array, combined: Float32Array): void {
      // LAVIS edit's "noise_placeholder": the source row takes the unguided conditional prediction (§7.2).
      if (edit.start !== "inverted" || !guided) return;
      const perRow = combined.length / 2;
      combined.set(prediction.subarray(2 * perRow, 3 * perRow), 0);
    },
    observe(crossAttnLowres: FloatTensor, latents: FloatTensor): void {
      const [mapRows, plane, mapKeys] = crossAttnLowres.dims;
      if (mapRows !== rows || plane !== geometry.lowHeight * geometry.lowWidth || mapKeys !== keys)
        throw new Error(
          `attention edit: cross_attn_lowres is [${crossAttnLowres.dims.join(",")}], expected [${rows},${geometry.lowHeight * geometry.lowWidth},${keys}]`,
        );
      const size = plane * keys;
      blend.accumulate(crossAttnLowres.data.subarray(sourceRow * size, (sourceRow + 2) * size));
      blend.apply(latents.data, channels);
      trace.masks.push(blend.maps().mask);
    },
    record(): AttentionMapsRecord {
      const maps = blend.maps();
      return {
        keyLabels: edit.keyLabels,
        keys,
        lowHeight: geometry.lowHeight,
        lowWidth: geometry.lowWidth,
        accumulated: maps.accumulated,
        mask: maps.mask,
        stepMasks: edit.blend ? trace.masks : [],
        blendWords: edit.blend?.words ?? null,
        threshold: edit.blend?.threshold ?? 0,
        calls: blend.callCount,
      };
    },
  };
}

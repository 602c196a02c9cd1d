/**
 * Token alignment between a source and a target prompt, as prompt-to-prompt's refinement
 * edit builds it (Hertz et al. 2022, `seq_aligner.get_refinement_mapper`, used by LAVIS
 * BLIP-Diffusion's `AttentionRefine`): Needleman–Wunsch global alignment with gap 0,
 * match +1, mismatch −1; each target position gets the aligned source index or −1.
 */

/** For each target key k: the source key whose attention it takes (`mapper`) and how much (`alphas`, 0 or 1). */
export interface KeyMapping {
  readonly mapper: Int32Array;
  readonly alphas: Float32Array;
}

const LEFT = 1;
const UP = 2;
const DIAGONAL = 3;
const STOP = 4;

/**
 * The aligned source index (or −1) for every element of `y`, by prompt-to-prompt's global
 * alignment. Ties prefer left (a y element without partner), then up (an x element dropped),
 * then diagonal, and the walk back from the end follows that traceback (`get_aligned_sequences`).
 */
export function alignSequences(x: readonly number[], y: readonly number[]): Int32Array {
  const cols = y.length + 1;
  const score = new Int32Array((x.length + 1) * cols);
  const trace = new Uint8Array((x.length + 1) * cols);
  for (let j = 1; j <= y.length; j++) trace[j] = LEFT;
  for (let i = 1; i <= x.length; i++) trace[i * cols] = UP;
  trace[0] = STOP;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const left = score[i * cols + j - 1];
      const up = score[(i - 1) * cols + j];
      const diagonal = score[(i - 1) * cols + j - 1] + (x[i - 1] === y[j - 1] ? 1 : -1);
      const best = Math.max(left, up, diagonal);
      score[i * cols + j] = best;
      trace[i * cols + j] = best === left ? LEFT : best === up ? UP : DIAGONAL;
    }
  }
  const mapped = new Int32Array(y.length).fill(-1);
  let i = x.length;
  let j = y.length;
  while (i > 0 || j > 0) {
    const move = trace[i * cols + j];
    if (move === DIAGONAL) {
      i--;
      j--;
      mapped[j] = i;
    } else if (move === LEFT) {
      j--;
      mapped[j] = -1;
    } else if (move === UP) {
      i--;
    } else break;
  }
  return mapped;
}

/**
 * prompt-to-prompt's `get_mapper` over `length` keys: aligned positions of `y` as
 * `alignSequences` gives them (alpha 1 where a partner exists), and beyond `y` the identity
 * with alpha 1 (the pads take the source's pads).
 */
export function refinementMapping(x: readonly number[], y: readonly number[], length: number): KeyMapping {
  const aligned = alignSequences(x, y);
  const mapper = new Int32Array(length);
  const alphas = new Float32Array(length).fill(1);
  for (let k = 0; k < length; k++) {
    if (k < aligned.length) {
      mapper[k] = aligned[k];
      alphas[k] = aligned[k] === -1 ? 0 : 1;
    } else mapper[k] = k;
  }
  return { mapper, alphas };
}

/**
 * prompt-to-prompt's replace edit (`AttentionReplace`) for prompts of equal token count:
 * the i-th text key of the target takes the i-th key of the source. Keys flagged in
 * `ownKeys` (the subject embedding's, which have no source counterpart) keep their own
 * attention (alpha 0). The caller checks that the token counts agree.
 */
export function replacementMapping(ownKeys: readonly boolean[], length: number): KeyMapping {
  const mapper = new Int32Array(length).fill(-1);
  const alphas = new Float32Array(length);
  let source = 0;
  for (let k = 0; k < length; k++) {
    if (ownKeys[k]) continue;
    mapper[k] = source++;
    alphas[k] = 1;
  }
  return { mapper, alphas };
}

import { floatTensor, intTensor, type FloatTensor } from "@infix/engine";
import { inputError } from "../inputs.ts";
import { runGraph } from "../model/pack-input.ts";
import type { ModelPack } from "../pack/types.ts";

/** What the text encoder was given and returned, for a CONDITIONING value. */
export interface EncodedText {
  /** [B, text_max_length, D] */
  embedding: FloatTensor;
  /** CLIP ids per row, length L (before the subject splice). */
  tokenIds: Int32Array[];
}

/**
 * Runs the pack's text encoder (diffusers `ContextCLIPTextModel`) on one prompt per row.
 * With `subject` [B,Q,D] the prompt is tokenized to L = text_max_length − Q (truncated,
 * padded to max length, as diffusers `_tokenize_text(with_query=True)`) and the Q subject
 * tokens are spliced in at `ctx_begin_pos`; without, to L = text_max_length with C = 0.
 */
export async function encodeText(
  pack: ModelPack,
  prompts: readonly string[],
  subject?: FloatTensor,
  signal?: AbortSignal,
): Promise<EncodedText> {
  const { text_max_length: maxLength, text_hidden_size: hidden, ctx_begin_pos: beginPos } = pack.manifest;
  const rows = prompts.length;
  const contextCount = subject ? subject.dims[1] : 0;
  if (subject && (subject.dims.length !== 3 || subject.dims[0] !== rows || subject.dims[2] !== hidden)) {
    throw inputError(
      "subject",
      `The subject embedding [${subject.dims.join(",")}] does not fit ${rows} prompt(s) of hidden size ${hidden}.`,
      `[${rows},Q,${hidden}]`,
    );
  }
  const length = maxLength - contextCount;
  const tokenizer = await pack.clipTokenizer();
  const tokenIds = prompts.map((prompt) =>
    Int32Array.from(tokenizer.encode(prompt, { maxLength: length, padToMaxLength: true }).ids),
  );
  const ids = intTensor(
    [rows, length],
    tokenIds.flatMap((row) => Array.from(row)),
  );
  const context = subject ?? floatTensor([rows, 0, hidden]);
  const embedding = await runGraph(
    pack,
    "text_encoder",
    { input_ids: ids, ctx_embeddings: context, ctx_begin_pos: intTensor([1], [beginPos]) },
    "last_hidden_state",
    signal,
  );
  const expected = `[${rows},${maxLength},${hidden}]`;
  if (embedding.dims.join() !== [rows, maxLength, hidden].join()) {
    throw inputError(
      "pack",
      `Model pack "${pack.id}": text_encoder.onnx gave last_hidden_state [${embedding.dims.join(",")}], expected ${expected}.`,
      expected,
    );
  }
  return { embedding, tokenIds };
}

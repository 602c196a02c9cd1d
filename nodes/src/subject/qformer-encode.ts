import { floatTensor, intTensor, type FloatTensor, type NodeDefinition, type RgbImage } from "@infix/engine";
import { imageBatchToRgb } from "../image/image-batch.ts";
import { inputError, stringInput, taggedListInput } from "../inputs.ts";
import { packInput, runGraph } from "../model/pack-input.ts";
import type { ModelPack } from "../pack/types.ts";
import type { ImageBatch, SubjectEmbedding } from "../sockets.ts";
import { isMixProblem, mixEmbeddings } from "./mix.ts";
import { qformerPixelValues, SUBJECT_RESIZE_MODES } from "./qformer-preprocess.ts";
import type { SubjectResizeMode } from "./qformer-preprocess.ts";

/** Images per Q-Former call: bounds memory for large reference sets. */
const QFORMER_CHUNK = 8;

/**
 * Runs the Q-Former on reference images of one subject and returns one embedding per
 * image, [B,Q,D]. The category is BERT-tokenized (`[CLS] … [SEP]`) and repeated per row.
 */
export async function encodeSubjectImages(
  pack: ModelPack,
  images: readonly RgbImage[],
  category: string,
  mode: SubjectResizeMode,
  signal?: AbortSignal,
): Promise<FloatTensor> {
  const tokenizer = await pack.bertTokenizer();
  const { ids, attentionMask } = tokenizer.encode(category);
  const { num_query_tokens: q, text_hidden_size: d } = pack.manifest;
  const out = new Float32Array(images.length * q * d);
  for (let start = 0; start < images.length; start += QFORMER_CHUNK) {
    const chunk = images.slice(start, start + QFORMER_CHUNK);
    const rows = chunk.length;
    const pixelValues = qformerPixelValues(chunk, pack.manifest, mode);
    const repeat = (values: number[]) => Array.from({ length: rows }, () => values).flat();
    const embedding = await runGraph(
      pack,
      "qformer",
      {
        pixel_values: pixelValues,
        input_ids: intTensor([rows, ids.length], repeat(ids)),
        attention_mask: intTensor([rows, ids.length], repeat(attentionMask)),
      },
      "ctx_embeddings",
      signal,
    );
    if (embedding.data.length !== rows * q * d) {
      throw inputError(
        "pack",
        `Model pack "${pack.id}": qformer.onnx gave ctx_embeddings [${embedding.dims.join(",")}], expected [${rows},${q},${d}].`,
        `[${rows},${q},${d}]`,
      );
    }
    out.set(embedding.data, start * q * d);
  }
  return floatTensor([images.length, q, d], out);
}

/**
 * Q-Former Encode: reference picture(s) + source category → SUBJECT [Q,D]. Several pictures
 * of one subject (a list, or a batch) give the mean of their embeddings, as LAVIS'
 * `forward_ctx_embeddings` does for several inputs with equal ratios.
 */
export const qformerEncodeNode: NodeDefinition = {
  schema: {
    type: "QFormerEncode",
    version: 1,
    category: "subject",
    title: "Q-Former Encode",
    description:
      "Computes the subject embedding of reference pictures with BLIP-2's Q-Former; several pictures are averaged into one subject.",
    inputs: [
      { name: "pack", type: "MODEL_PACK" },
      { name: "image", type: "IMAGE", acceptsList: true, description: "One or more pictures of the subject." },
      {
        name: "category",
        type: "STRING",
        description: "What the subject is, in a word or two (the source subject category), e.g. dog.",
        widget: { kind: "STRING", default: "dog", nonEmpty: true },
      },
      {
        name: "resize",
        type: "STRING",
        description:
          "squash: bicubic straight to the Q-Former's size (diffusers); center_crop: shortest side, then a centered square (LAVIS).",
        widget: { kind: "ENUM", default: "squash", options: [...SUBJECT_RESIZE_MODES] },
      },
    ],
    outputs: [{ name: "subject", type: "SUBJECT" }],
    isOutput: false,
  },
  async run(inputs, ctx) {
    const pack = packInput(inputs);
    const batches = taggedListInput<ImageBatch>(inputs, "image", "IMAGE");
    const category = stringInput(inputs, "category", { nonEmpty: true }).trim();
    const mode = stringInput(inputs, "resize") as SubjectResizeMode;
    if (!SUBJECT_RESIZE_MODES.includes(mode)) {
      throw inputError(
        "resize",
        `Unknown resize mode "${mode}"; use one of ${SUBJECT_RESIZE_MODES.join(", ")}.`,
        SUBJECT_RESIZE_MODES.join("|"),
        mode,
      );
    }
    const images = batches.flatMap((batch) => imageBatchToRgb(batch));
    const sourceHashes = batches.flatMap((batch) => batch.sourceHashes);
    ctx.progress(0, 1);
    const perImage = await encodeSubjectImages(pack, images, category, mode, ctx.signal);
    const [count, q, d] = perImage.dims;
    const rows = Array.from({ length: count }, (_, i) =>
      floatTensor([q, d], perImage.data.slice(i * q * d, (i + 1) * q * d)),
    );
    const mean = mixEmbeddings(rows, new Array(count).fill(1));
    if (isMixProblem(mean)) throw new Error(`averaging subject embeddings failed: ${mean.reason}`);
    ctx.progress(1, 1);
    const subject: SubjectEmbedding = {
      type: "SUBJECT",
      embedding: mean,
      packName: pack.manifest.name,
      packHash: pack.hash,
      category,
      sourceHashes,
    };
    return { subject };
  },
};

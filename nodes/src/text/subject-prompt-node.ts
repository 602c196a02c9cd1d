import { floatTensor, type NodeDefinition } from "@infix/engine";
import { inputError, intInput, numberInput, stringInput, taggedInput } from "../inputs.ts";
import { packInput } from "../model/pack-input.ts";
import type { Conditioning, SubjectEmbedding } from "../sockets.ts";
import { checkSubjectShape } from "../subject/subject-file.ts";
import { encodeText } from "./encode-text.ts";
import { buildSubjectPrompt } from "./subject-prompt.ts";

/** Subject Prompt: the BLIP-Diffusion positive conditioning, a prompt with the subject spliced in. */
export const subjectPromptNode: NodeDefinition = {
  schema: {
    type: "SubjectPrompt",
    version: 1,
    category: "text",
    title: "Subject Prompt",
    description:
      "Encodes 'a {target} {prompt}' (repeated to weigh the text) with the subject embedding inserted into the prompt, as BLIP-Diffusion does.",
    inputs: [
      { name: "pack", type: "MODEL_PACK" },
      { name: "subject", type: "SUBJECT" },
      {
        name: "target_category",
        type: "STRING",
        description: "What to call the subject in the picture, e.g. dog.",
        widget: { kind: "STRING", default: "dog", nonEmpty: true },
      },
      {
        name: "prompt",
        type: "STRING",
        widget: { kind: "STRING", default: "", multiline: true, placeholder: "swimming underwater" },
      },
      { name: "prompt_strength", type: "FLOAT", widget: { kind: "FLOAT", default: 1, min: 0, max: 10, step: 0.05 } },
      { name: "prompt_reps", type: "INT", widget: { kind: "INT", default: 20, min: 1, max: 100 } },
    ],
    outputs: [{ name: "conditioning", type: "CONDITIONING" }],
    isOutput: false,
  },
  async run(inputs, ctx) {
    const pack = packInput(inputs);
    const subject = taggedInput<SubjectEmbedding>(inputs, "subject", "SUBJECT");
    const target = stringInput(inputs, "target_category", { nonEmpty: true }).trim();
    const prompt = stringInput(inputs, "prompt");
    const strength = numberInput(inputs, "prompt_strength");
    const reps = intInput(inputs, "prompt_reps", 0);
    const { num_query_tokens: q, text_hidden_size: d } = pack.manifest;
    const shapeProblem = checkSubjectShape(subject.embedding.dims, q, d);
    if (shapeProblem)
      throw inputError(
        "subject",
        `The subject does not fit this pack: ${shapeProblem}.`,
        `[${q},${d}]`,
        `[${subject.embedding.dims.join(",")}]`,
      );
    if (subject.packHash !== pack.hash)
      ctx.log.warn(
        `the subject was made with pack "${subject.packName}", the prompt is encoded with "${pack.manifest.name}"`,
      );
    const text = buildSubjectPrompt(target, prompt, strength, reps);
    // A [Q,D] subject is one row; a [B,Q,D] one gives B rows of the same prompt.
    const rows = subject.embedding.dims.length === 3 ? subject.embedding.dims[0] : 1;
    const context = floatTensor([rows, q, d], subject.embedding.data);
    const prompts = new Array<string>(rows).fill(text);
    const { embedding, tokenIds } = await encodeText(pack, prompts, context, ctx.signal);
    const conditioning: Conditioning = {
      type: "CONDITIONING",
      embedding,
      packHash: pack.hash,
      prompts,
      tokenIds,
      subject: { beginPos: pack.manifest.ctx_begin_pos, count: q, category: target },
    };
    return { conditioning };
  },
};

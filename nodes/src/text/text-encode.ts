import type { NodeDefinition } from "@infix/engine";
import { stringInput } from "../inputs.ts";
import { packInput } from "../model/pack-input.ts";
import type { Conditioning } from "../sockets.ts";
import { encodeText } from "./encode-text.ts";

/** Text Encode: a prompt without a subject (the negative prompt), padded to text_max_length. */
export const textEncodeNode: NodeDefinition = {
  schema: {
    type: "TextEncode",
    version: 1,
    category: "text",
    title: "Text Encode",
    description:
      "Encodes a prompt without a subject, e.g. the negative prompt for classifier-free guidance (may be empty).",
    inputs: [
      { name: "pack", type: "MODEL_PACK" },
      { name: "text", type: "STRING", widget: { kind: "STRING", default: "", multiline: true } },
    ],
    outputs: [{ name: "conditioning", type: "CONDITIONING" }],
    isOutput: false,
  },
  async run(inputs, ctx) {
    const pack = packInput(inputs);
    const text = stringInput(inputs, "text");
    const { embedding, tokenIds } = await encodeText(pack, [text], undefined, ctx.signal);
    const conditioning: Conditioning = {
      type: "CONDITIONING",
      embedding,
      packHash: pack.hash,
      prompts: [text],
      tokenIds,
    };
    return { conditioning };
  },
};

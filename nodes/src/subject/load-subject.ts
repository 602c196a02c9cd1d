import type { NodeDefinition } from "@infix/engine";
import { fileContentHash } from "../image/file-hash.ts";
import { inputError, stringInput } from "../inputs.ts";
import { packInput } from "../model/pack-input.ts";
import { checkSubjectShape, decodeSubjectFile, SUBJECT_FILE_EXTENSION } from "./subject-file.ts";

/**
 * Load Subject: a `.subject.json` file from the input folder, checked against the pack.
 * The FILE widget names one folder and uploads land in input/, so files Save Subject wrote
 * to output/ come here by upload (POST /api/uploads accepts .subject.json).
 */
export const loadSubjectNode: NodeDefinition = {
  schema: {
    type: "LoadSubject",
    version: 1,
    category: "subject",
    title: "Load Subject",
    description:
      "Loads a subject saved by Save Subject from the input folder and checks it fits the model pack. Save Subject writes to the output folder: upload that .subject.json here (the file widget's upload button puts it in input/), then pick it.",
    inputs: [
      { name: "pack", type: "MODEL_PACK" },
      {
        name: "file",
        type: "STRING",
        widget: { kind: "FILE", default: "", folder: "input", accept: [SUBJECT_FILE_EXTENSION, ".json"] },
      },
    ],
    outputs: [{ name: "subject", type: "SUBJECT" }],
    isOutput: false,
  },
  cacheKeyExtra: (inputs, ctx) => fileContentHash(ctx.files, String(inputs.file ?? "")),
  async run(inputs, ctx) {
    const pack = packInput(inputs);
    const name = stringInput(inputs, "file", { nonEmpty: true });
    let text: string;
    try {
      text = new TextDecoder().decode(await ctx.files.readInput(name));
    } catch (error) {
      throw inputError(
        "file",
        `Cannot read "${name}" from the input folder (${(error as Error).message}).`,
        "a .subject.json file in input/",
        name,
      );
    }
    const subject = decodeSubjectFile(text);
    if (typeof subject === "string")
      throw inputError("file", `"${name}" is ${subject}.`, "a file written by Save Subject", name);
    const shapeProblem = checkSubjectShape(
      subject.embedding.dims,
      pack.manifest.num_query_tokens,
      pack.manifest.text_hidden_size,
    );
    if (shapeProblem) {
      throw inputError(
        "file",
        `"${name}": ${shapeProblem} ("${subject.packName}" vs "${pack.manifest.name}").`,
        `[${pack.manifest.num_query_tokens},${pack.manifest.text_hidden_size}]`,
        `[${subject.embedding.dims.join(",")}]`,
      );
    }
    if (subject.packHash !== pack.hash) {
      ctx.log.warn(
        `${name} was made with pack "${subject.packName}" (${subject.packHash}); using it with "${pack.manifest.name}" (${pack.hash}).`,
      );
    }
    return { subject };
  },
};

import type { NodeDefinition } from "@infix/engine";
import { sanitisePrefix } from "../image/save-images.ts";
import { stringInput, taggedInput } from "../inputs.ts";
import type { SubjectEmbedding } from "../sockets.ts";
import { encodeSubjectFile, SUBJECT_FILE_EXTENSION } from "./subject-file.ts";

/** Save Subject: writes the subject as a portable `.subject.json` file to the output folder. */
export const saveSubjectNode: NodeDefinition = {
  schema: {
    type: "SaveSubject",
    version: 1,
    category: "subject",
    title: "Save Subject",
    description:
      "Saves the subject embedding with its pack, category and source-image hashes as a .subject.json file in the output folder.",
    inputs: [
      { name: "subject", type: "SUBJECT" },
      { name: "filename_prefix", type: "STRING", widget: { kind: "STRING", default: "subject" } },
    ],
    outputs: [],
    isOutput: true,
  },
  async run(inputs, ctx) {
    const subject = taggedInput<SubjectEmbedding>(inputs, "subject", "SUBJECT");
    const prefix = sanitisePrefix(stringInput(inputs, "filename_prefix"));
    const ref = await ctx.files.writeOutput(
      `${prefix}${SUBJECT_FILE_EXTENSION}`,
      new TextEncoder().encode(encodeSubjectFile(subject)),
    );
    ctx.show({ text: [`${ref.folder}/${ref.name} (${subject.category}, [${subject.embedding.dims.join(",")}])`] });
    return {};
  },
};

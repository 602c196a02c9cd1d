import type { NodeDefinition } from "@infix/engine";
import { inputError, numberInput, optionalTaggedInput } from "../inputs.ts";
import type { SubjectEmbedding } from "../sockets.ts";
import { mixEmbeddings } from "./mix.ts";

const SLOTS = ["a", "b", "c", "d"] as const;

/** Subject Mix: a weighted blend of 2–4 subjects (weights normalised to sum to 1). */
export const subjectMixNode: NodeDefinition = {
  schema: {
    type: "SubjectMix",
    version: 1,
    category: "subject",
    title: "Subject Mix",
    description:
      "Blends two to four subjects by weight (normalised to sum to 1), e.g. to interpolate from one subject to another.",
    inputs: SLOTS.flatMap((slot, i) => [
      { name: `subject_${slot}`, type: "SUBJECT", optional: i >= 2 },
      {
        name: `weight_${slot}`,
        type: "FLOAT",
        widget: { kind: "FLOAT" as const, default: i < 2 ? 0.5 : 0, min: 0, max: 100, step: 0.05 },
      },
    ]),
    outputs: [{ name: "subject", type: "SUBJECT" }],
    isOutput: false,
  },
  validate(values) {
    const weights = SLOTS.map((slot) => values[`weight_${slot}`]).filter((w): w is number => typeof w === "number");
    if (weights.some((w) => w < 0)) return ["Subject Mix weights must not be negative."];
    return [];
  },
  async run(inputs) {
    const used: { subject: SubjectEmbedding; weight: number; slot: string }[] = [];
    for (const slot of SLOTS) {
      const subject = optionalTaggedInput<SubjectEmbedding>(inputs, `subject_${slot}`, "SUBJECT");
      if (subject) used.push({ subject, weight: numberInput(inputs, `weight_${slot}`), slot });
    }
    if (used.length < 2)
      throw inputError(
        "subject_b",
        "Subject Mix needs at least two subjects connected.",
        "2 or more SUBJECTs",
        String(used.length),
      );
    const first = used[0].subject;
    for (const { subject, slot } of used) {
      if (subject.packHash !== first.packHash) {
        throw inputError(
          `subject_${slot}`,
          `subject_${slot} was made with model pack "${subject.packName}" but subject_a with "${first.packName}"; mix subjects of one pack.`,
          first.packHash,
          subject.packHash,
        );
      }
    }
    const mixed = mixEmbeddings(
      used.map((u) => u.subject.embedding),
      used.map((u) => u.weight),
    );
    if ("reason" in mixed) {
      switch (mixed.reason) {
        case "zero_weights":
          throw inputError(
            `weight_${used[0].slot}`,
            "All weights of the connected subjects are 0; give at least one a positive weight.",
            "a positive weight",
            "all 0",
          );
        case "negative_weight":
          throw inputError(
            `weight_${used[mixed.index].slot}`,
            `Weight ${mixed.weight} is negative; weights must be 0 or more.`,
            ">= 0",
            String(mixed.weight),
          );
        case "shape_mismatch":
          throw inputError(
            `subject_${used[mixed.index].slot}`,
            `subject_${used[mixed.index].slot} has shape ${mixed.found} but subject_a has ${mixed.expected}.`,
            mixed.expected,
            mixed.found,
          );
        default:
          throw inputError("subject_a", "Subject Mix got no subjects.");
      }
    }
    const strongest = used.reduce((best, u) => (u.weight > best.weight ? u : best));
    const subject: SubjectEmbedding = {
      type: "SUBJECT",
      embedding: mixed,
      packName: first.packName,
      packHash: first.packHash,
      // The prompt names one category; the dominant subject's is the natural default.
      category: strongest.subject.category,
      sourceHashes: [...new Set(used.flatMap((u) => u.subject.sourceHashes))],
    };
    return { subject };
  },
};

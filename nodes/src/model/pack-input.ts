import type { NodeInputs } from "@infix/engine";
import { inputError } from "../inputs.ts";
import type { GraphName, ModelPack } from "../pack/types.ts";

/** The MODEL_PACK input of a node, checked to be a pack handle. */
export function packInput(inputs: NodeInputs, name = "pack"): ModelPack {
  const value = inputs[name] as Partial<ModelPack> | undefined;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof value.run !== "function" ||
    typeof value.manifest !== "object"
  ) {
    throw inputError(
      name,
      `Input "${name}" needs a MODEL_PACK; connect a Load Model Pack node.`,
      "MODEL_PACK",
      typeof value,
    );
  }
  return value as ModelPack;
}

type Outputs = Awaited<ReturnType<ModelPack["run"]>>;

/**
 * Runs one graph of the pack, turning a failed run or a missing output into an error that
 * names the pack, the graph and the output (the node's "pack" input brought the pack).
 */
export async function runGraphOutputs(
  pack: ModelPack,
  graph: GraphName,
  feeds: Parameters<ModelPack["run"]>[1],
  required: readonly string[],
  signal?: AbortSignal,
): Promise<Outputs> {
  let outputs: Outputs;
  try {
    outputs = await pack.run(graph, feeds, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw inputError(
      "pack",
      `Model pack "${pack.id}" could not run ${graph}.onnx: ${reason}`,
      `a pack with a working ${graph}.onnx`,
      pack.id,
    );
  }
  for (const output of required) {
    if (!outputs[output]) {
      throw inputError(
        "pack",
        `Model pack "${pack.id}": ${graph}.onnx gave no "${output}" output (see MODEL_PACK.md).`,
        output,
        Object.keys(outputs).join(", "),
      );
    }
  }
  return outputs;
}

/** Runs one graph and returns its named output; errors as `runGraphOutputs`. */
export async function runGraph(
  pack: ModelPack,
  graph: GraphName,
  feeds: Parameters<ModelPack["run"]>[1],
  output: string,
  signal?: AbortSignal,
): Promise<Outputs[string]> {
  return (await runGraphOutputs(pack, graph, feeds, [output], signal))[output];
}

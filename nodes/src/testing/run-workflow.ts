import type { FloatTensor, NodeDefinition, NodePackage, Workflow } from "@infix/engine";
import { Executor, NodeRegistry, OutputCache, type ExecutionEvents, type ExecutionResult } from "@infix/engine/testing";
import { nodePackage, type NodeResources } from "../index.ts";
import type { Feeds, GraphName, ModelPack } from "../pack/types.ts";
import type { ImageBatch, LatentBatch } from "../sockets.ts";
import type { TestContext } from "./test-context.ts";

/**
 * Running whole workflows in tests and benches with the real executor, and watching what the
 * nodes hand the graphs on the way (without replacing any node's work).
 */

/** Execution events nobody listens to: a run in a test or a bench, with no client. */
export const silentEvents: ExecutionEvents = {
  nodeStarted: () => undefined,
  nodeCached: () => undefined,
  nodeFinished: () => undefined,
  nodeFailed: () => undefined,
  progress: () => undefined,
  preview: () => undefined,
};

/**
 * Runs `workflow` on a fresh executor and output cache over `resources`, so nothing is served
 * from a previous run; throws with the problem unless it succeeded.
 *
 * @example const result = await runWorkflowFresh(workflow, { resources, ctx }); result.ui.save
 */
export async function runWorkflowFresh(
  workflow: Workflow,
  options: { resources: NodeResources; ctx: TestContext; packages?: NodePackage[]; targets?: string[] },
): Promise<ExecutionResult> {
  const executor = new Executor({
    registry: new NodeRegistry(options.packages ?? [nodePackage]),
    cache: new OutputCache({ budgetBytes: 64 * 1024 ** 2 }),
    resources: options.resources,
    files: options.ctx.files,
    log: options.ctx.log,
  });
  const result = await executor.execute({
    workflow,
    targets: options.targets,
    signal: new AbortController().signal,
    events: silentEvents,
  });
  if (result.status !== "succeeded") throw new Error(`run failed: ${JSON.stringify(result.error ?? result.problems)}`);
  return result;
}

/** What the VAE Decode node of a run was given and drew. */
export interface DecodeCapture {
  /** The latents it decoded (the Sampler's result). */
  latents?: FloatTensor;
  /** Its pictures, [B,3,H,W] in [0,1]. */
  pixels?: FloatTensor;
}

/** The node package with its real VAE Decode node also handing its input latents and output pixels to `seen`. */
export function withDecodeCapture(seen: DecodeCapture): NodePackage {
  const nodes = nodePackage.nodes.map((node): NodeDefinition => {
    if (node.schema.type !== "VAEDecode") return node;
    return {
      ...node,
      async run(inputs, ctx) {
        const outputs = await node.run(inputs, ctx);
        seen.latents = (inputs.latent as LatentBatch).samples;
        seen.pixels = (outputs.images as ImageBatch).pixels;
        return outputs;
      },
    };
  });
  return { ...nodePackage, nodes };
}

/** Sees one graph call of a pack: its name, what it was fed and what it gave. */
export type GraphCallListener = (graph: GraphName, feeds: Feeds, outputs: Record<string, FloatTensor>) => void;

/**
 * Calls `listener` after every graph run of `pack` until the returned function is called. Nodes
 * reuse their feed buffers from call to call: a listener keeps copies of what it needs.
 */
export function tapGraphCalls(pack: ModelPack, listener: GraphCallListener): () => void {
  const original = pack.run;
  pack.run = async (graph, feeds, signal) => {
    const outputs = await original.call(pack, graph, feeds, signal);
    listener(graph, feeds, outputs);
    return outputs;
  };
  return () => {
    pack.run = original;
  };
}

/** Runs `body` with `listener` tapping `pack`'s graph calls, untapped afterwards even when it throws. */
export async function whileTapping<T>(
  pack: ModelPack,
  listener: GraphCallListener,
  body: () => Promise<T>,
): Promise<T> {
  const untap = tapGraphCalls(pack, listener);
  try {
    return await body();
  } finally {
    untap();
  }
}

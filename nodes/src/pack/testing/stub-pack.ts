import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import onnxProto from "onnx-proto";
import { packContract, type TensorContract } from "../contract.ts";
import { BLIP_DIFFUSION_SCHEDULER_CONFIG, type PackManifest } from "../manifest.ts";

/**
 * Writes a pack folder whose graphs have exactly the contract's signatures but trivial
 * bodies (each output is an Identity of a same-typed, same-rank input, or a constant), so
 * the loader's checks can be tested case by case in milliseconds. The real test pack with
 * meaningful weights is the tiny pack (../tiny/).
 */

const { onnx } = onnxProto;

export interface StubTensor {
  name: string;
  type: "float32" | "float16" | "int64";
  rank: number;
}

export interface StubGraph {
  inputs: StubTensor[];
  outputs: StubTensor[];
}

export interface StubPackOptions {
  /** Changes one graph's signature before it is written (file path → edit). */
  edit?: Record<string, (graph: StubGraph) => StubGraph>;
  /** Files (or folders' files) to leave out, e.g. "unet.onnx" or "qformer_tokenizer/vocab.txt". */
  omit?: string[];
}

const ELEM = { float32: 1, float16: 10, int64: 7 } as const;

/** A minimal valid manifest (no ControlNets, attention control on). */
export function stubManifest(overrides: Partial<PackManifest> = {}): PackManifest {
  return {
    format: "blip-diffusion-onnx",
    version: 1,
    name: "stub pack",
    num_query_tokens: 4,
    ctx_begin_pos: 2,
    text_max_length: 16,
    text_hidden_size: 8,
    qformer: { image_size: 16, image_mean: [0.5, 0.5, 0.5], image_std: [0.25, 0.25, 0.25] },
    vae: { scale_factor: 8, scaling_factor: 0.18215, latent_channels: 4 },
    unet: {
      controlnet_residuals: 0,
      attention_control: true,
      self_attn_max_tokens: 16,
      default_size: 64,
      controlnet_residual_shapes: [],
    },
    scheduler: { ...BLIP_DIFFUSION_SCHEDULER_CONFIG },
    controlnets: [],
    dtypes: {},
    ...overrides,
  };
}

export const STUB_CLIP_VOCAB = {
  a: 0,
  "a</w>": 1,
  "cat</w>": 2,
  c: 3,
  t: 4,
  ca: 5,
  "<|startoftext|>": 6,
  "<|endoftext|>": 7,
};
export const STUB_CLIP_MERGES = "#version: 0.2\nc a\nca t</w>\n";
export const STUB_BERT_VOCAB = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ndog\ncat\n";

/** Writes manifest, stub graphs and tokenizer files into `dir`. */
export async function writeStubPack(dir: string, manifest: PackManifest, options: StubPackOptions = {}): Promise<void> {
  const omit = new Set(options.omit ?? []);
  const write = async (file: string, data: string | Uint8Array) => {
    if (omit.has(file)) return;
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), data);
  };
  await write("manifest.json", JSON.stringify(manifest, null, 2));
  for (const contract of packContract(manifest)) {
    const floatType = manifest.dtypes[contract.graph] ?? "float32";
    const toStub = (t: TensorContract): StubTensor => ({
      name: t.name,
      type: t.type === "float" ? floatType : "int64",
      rank: t.rank,
    });
    let graph: StubGraph = { inputs: contract.inputs.map(toStub), outputs: contract.outputs.map(toStub) };
    graph = options.edit?.[contract.file]?.(graph) ?? graph;
    await write(contract.file, encodeStubGraph(graph));
  }
  await write("tokenizer/vocab.json", JSON.stringify(STUB_CLIP_VOCAB));
  await write("tokenizer/merges.txt", STUB_CLIP_MERGES);
  await write("qformer_tokenizer/vocab.txt", STUB_BERT_VOCAB);
}

function valueInfo(tensor: StubTensor, prefix: string): onnxProto.onnx.IValueInfoProto {
  return {
    name: tensor.name,
    type: {
      tensorType: {
        elemType: ELEM[tensor.type],
        shape: { dim: Array.from({ length: tensor.rank }, (_, i) => ({ dimParam: `${prefix}_${tensor.name}_${i}` })) },
      },
    },
  };
}

function encodeStubGraph(graph: StubGraph): Uint8Array {
  const nodes: onnxProto.onnx.INodeProto[] = graph.outputs.map((output) => {
    const source = graph.inputs.find((input) => input.type === output.type && input.rank === output.rank);
    if (source) return { opType: "Identity", input: [source.name], output: [output.name] };
    // No matching input: a constant of shape [1,…,1] and the output's type.
    const value: onnxProto.onnx.ITensorProto = {
      dims: Array(output.rank).fill(1),
      dataType: ELEM[output.type],
      rawData: new Uint8Array(output.type === "float16" ? 2 : output.type === "int64" ? 8 : 4),
    };
    return { opType: "Constant", input: [], output: [output.name], attribute: [{ name: "value", type: 4, t: value }] };
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "infix-stub-pack",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "stub",
      node: nodes,
      input: graph.inputs.map((t) => valueInfo(t, "in")),
      output: graph.outputs.map((t) => valueInfo(t, "out")),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

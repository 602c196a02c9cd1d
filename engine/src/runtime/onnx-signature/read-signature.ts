import { basename } from "node:path";
import { BufferProtoReader, FileProtoReader, ProtoFormatError, WireType } from "./proto-reader.ts";

/**
 * Reads an ONNX graph's inputs, outputs and external-data files without creating a session:
 * walks ModelProto → GraphProto on the wire and decodes only `input`, `output` and the
 * initializers' names and external-data locations, seeking over weights and nodes.
 * Field numbers from onnx/onnx.proto (ModelProto.graph = 7; GraphProto.node = 1,
 * initializer = 5, input = 11, output = 12; TensorProto.name = 8, raw_data = 9,
 * external_data = 13).
 */

/** ONNX TensorProto.DataType, by our names (float32 rather than FLOAT). */
const ELEMENT_TYPES = [
  "undefined",
  "float32",
  "uint8",
  "int8",
  "uint16",
  "int16",
  "int32",
  "int64",
  "string",
  "bool",
  "float16",
  "float64",
  "uint32",
  "uint64",
  "complex64",
  "complex128",
  "bfloat16",
] as const;
export type OnnxElementType = (typeof ELEMENT_TYPES)[number] | "other";

/** A dimension: a fixed size, a symbolic name (`batch`), or null when the graph leaves it open. */
export type OnnxDim = number | string | null;

export interface OnnxValueSignature {
  readonly name: string;
  /** "other" for non-tensor values (sequences, maps) and element types newer than bfloat16. */
  readonly elementType: OnnxElementType;
  /** null when the graph states no shape (rank unknown). */
  readonly shape: readonly OnnxDim[] | null;
}

export interface OnnxGraphSignature {
  /** Graph inputs that are real feeds (initializers listed as inputs, as IR < 4 allows, are left out). */
  readonly inputs: readonly OnnxValueSignature[];
  readonly outputs: readonly OnnxValueSignature[];
  /** Files, relative to the graph's folder, that initializers keep their data in. */
  readonly externalDataFiles: readonly string[];
}

export class OnnxSignatureError extends Error {
  override readonly name = "OnnxSignatureError";
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${basename(path)}: not a readable ONNX model (${reason})`);
  }
}

/**
 * Reads the signature of the ONNX model at `path`.
 *
 * @example
 * const { inputs } = await readOnnxSignature("pack/unet.onnx");
 * inputs.find((i) => i.name === "timestep"); // { name: "timestep", elementType: "float32", shape: ["batch"] }
 */
export async function readOnnxSignature(path: string): Promise<OnnxGraphSignature> {
  let reader: FileProtoReader;
  try {
    reader = await FileProtoReader.open(path);
  } catch (error) {
    throw new OnnxSignatureError(path, (error as Error).message);
  }
  try {
    const graph = await readModel(reader);
    if (!graph) throw new OnnxSignatureError(path, "the model has no graph");
    return graph;
  } catch (error) {
    if (error instanceof ProtoFormatError) throw new OnnxSignatureError(path, error.message);
    throw error;
  } finally {
    await reader.close();
  }
}

async function readModel(reader: FileProtoReader): Promise<OnnxGraphSignature | undefined> {
  let graph: OnnxGraphSignature | undefined;
  while (reader.position < reader.size) {
    const { field, wireType } = await reader.tag();
    if (field === 7 && wireType === WireType.lengthDelimited) {
      const length = await reader.varint();
      graph = await readGraph(reader, reader.position + length);
    } else {
      await reader.skip(wireType);
    }
  }
  return graph;
}

async function readGraph(reader: FileProtoReader, end: number): Promise<OnnxGraphSignature> {
  const inputs: OnnxValueSignature[] = [];
  const outputs: OnnxValueSignature[] = [];
  const initializerNames = new Set<string>();
  const externalDataFiles = new Set<string>();
  while (reader.position < end) {
    const { field, wireType } = await reader.tag();
    if ((field === 11 || field === 12) && wireType === WireType.lengthDelimited) {
      const value = decodeValueInfo(await reader.lengthDelimited());
      (field === 11 ? inputs : outputs).push(value);
    } else if (field === 5 && wireType === WireType.lengthDelimited) {
      const length = await reader.varint();
      const initializer = await readInitializerHeader(reader, reader.position + length);
      initializerNames.add(initializer.name);
      if (initializer.location) externalDataFiles.add(initializer.location);
    } else {
      await reader.skip(wireType);
    }
  }
  if (reader.position !== end) throw new ProtoFormatError("graph field overruns its length");
  return {
    inputs: inputs.filter((input) => !initializerNames.has(input.name)),
    outputs,
    externalDataFiles: [...externalDataFiles],
  };
}

/** A TensorProto's name and external-data location; its data fields are skipped. */
async function readInitializerHeader(
  reader: FileProtoReader,
  end: number,
): Promise<{ name: string; location?: string }> {
  let name = "";
  let location: string | undefined;
  while (reader.position < end) {
    const { field, wireType } = await reader.tag();
    if (field === 8 && wireType === WireType.lengthDelimited) {
      name = new TextDecoder().decode(await reader.lengthDelimited());
    } else if (field === 13 && wireType === WireType.lengthDelimited) {
      const entry = decodeStringEntry(await reader.lengthDelimited());
      if (entry.key === "location") location = entry.value;
    } else {
      await reader.skip(wireType);
    }
  }
  return { name, location };
}

function decodeStringEntry(bytes: Uint8Array): { key: string; value: string } {
  const reader = new BufferProtoReader(bytes);
  let key = "";
  let value = "";
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === WireType.lengthDelimited) key = reader.string();
    else if (field === 2 && wireType === WireType.lengthDelimited) value = reader.string();
    else reader.skip(wireType);
  }
  return { key, value };
}

/** ValueInfoProto { name = 1; type = 2 } with TypeProto { tensor_type = 1 }. */
function decodeValueInfo(bytes: Uint8Array): OnnxValueSignature {
  const reader = new BufferProtoReader(bytes);
  let name = "";
  let elementType: OnnxElementType = "other";
  let shape: OnnxDim[] | null = null;
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === WireType.lengthDelimited) {
      name = reader.string();
    } else if (field === 2 && wireType === WireType.lengthDelimited) {
      const type = new BufferProtoReader(reader.lengthDelimited());
      while (!type.done) {
        const typeTag = type.tag();
        if (typeTag.field === 1 && typeTag.wireType === WireType.lengthDelimited) {
          ({ elementType, shape } = decodeTensorType(type.lengthDelimited()));
        } else {
          type.skip(typeTag.wireType);
        }
      }
    } else {
      reader.skip(wireType);
    }
  }
  return { name, elementType, shape };
}

/** TypeProto.Tensor { elem_type = 1; shape = 2 }, TensorShapeProto { dim = 1 }. */
function decodeTensorType(bytes: Uint8Array): { elementType: OnnxElementType; shape: OnnxDim[] | null } {
  const reader = new BufferProtoReader(bytes);
  let elementType: OnnxElementType = "undefined";
  let shape: OnnxDim[] | null = null;
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === WireType.varint) {
      elementType = ELEMENT_TYPES[reader.varint()] ?? "other";
    } else if (field === 2 && wireType === WireType.lengthDelimited) {
      shape = [];
      const shapeReader = new BufferProtoReader(reader.lengthDelimited());
      while (!shapeReader.done) {
        const dimTag = shapeReader.tag();
        if (dimTag.field === 1 && dimTag.wireType === WireType.lengthDelimited)
          shape.push(decodeDimension(shapeReader.lengthDelimited()));
        else shapeReader.skip(dimTag.wireType);
      }
    } else {
      reader.skip(wireType);
    }
  }
  return { elementType, shape };
}

/** Dimension { dim_value = 1 (int64); dim_param = 2 }. */
function decodeDimension(bytes: Uint8Array): OnnxDim {
  const reader = new BufferProtoReader(bytes);
  let dim: OnnxDim = null;
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === WireType.varint) dim = reader.varint();
    else if (field === 2 && wireType === WireType.lengthDelimited) dim = reader.string();
    else reader.skip(wireType);
  }
  return dim;
}

import type { OnnxGraphSignature, OnnxValueSignature } from "@infix/engine/runtime";
import type { GraphContract, TensorContract } from "./contract.ts";

/**
 * Compares a graph's signature (read from the file, no session) with its contract and
 * describes every difference in one line that names the file, the tensor, what was
 * expected and what was found.
 */

export interface SignatureMismatch {
  readonly file: string;
  readonly tensor: string;
  readonly expected: string;
  readonly found: string;
  readonly message: string;
}

/**
 * @param floatType what "float" means for this graph (the manifest's `dtypes` entry)
 * @example
 * checkGraphSignature(contract, await readOnnxSignature(path), "float32");
 * // [{ message: "unet.onnx: input 'timestep' should be float32 of rank 1, found int64 of rank 1", ... }]
 */
export function checkGraphSignature(
  contract: GraphContract,
  signature: OnnxGraphSignature,
  floatType: "float32" | "float16",
): SignatureMismatch[] {
  const mismatches: SignatureMismatch[] = [];
  const check = (role: "input" | "output", wanted: readonly TensorContract[], found: readonly OnnxValueSignature[]) => {
    const byName = new Map(found.map((value) => [value.name, value]));
    for (const tensor of wanted) {
      const expected = describeExpected(tensor, floatType);
      const value = byName.get(tensor.name);
      if (!value) {
        const names = found.map((v) => `'${v.name}'`).join(", ") || "none";
        mismatches.push(mismatch(contract.file, role, tensor.name, expected, `no such ${role} (it has ${names})`));
        continue;
      }
      const wantedType = tensor.type === "float" ? floatType : "int64";
      // A graph that states no shape (rank unknown) is accepted: ranks are checked where stated.
      const rankOk = value.shape === null || value.shape.length === tensor.rank;
      if (value.elementType !== wantedType || !rankOk) {
        mismatches.push(mismatch(contract.file, role, tensor.name, expected, describeFound(value)));
      }
    }
    if (role === "input") {
      // onnxruntime needs every input fed, and the engine feeds only the contract's.
      const known = new Set(wanted.map((t) => t.name));
      for (const value of found) {
        if (!known.has(value.name))
          mismatches.push(
            mismatch(
              contract.file,
              role,
              value.name,
              "no such input",
              `${describeFound(value)} that the engine would not feed`,
            ),
          );
      }
    }
  };
  check("input", contract.inputs, signature.inputs);
  check("output", contract.outputs, signature.outputs);
  return mismatches;
}

function describeExpected(tensor: TensorContract, floatType: string): string {
  return `${tensor.type === "float" ? floatType : "int64"} of rank ${tensor.rank}`;
}

function describeFound(value: OnnxValueSignature): string {
  return `${value.elementType} of rank ${value.shape === null ? "unknown" : value.shape.length}`;
}

function mismatch(
  file: string,
  role: "input" | "output",
  tensor: string,
  expected: string,
  found: string,
): SignatureMismatch {
  const message =
    expected === "no such input"
      ? `${file}: unexpected input '${tensor}', ${found}`
      : `${file}: ${role} '${tensor}' should be ${expected}, found ${found}`;
  return { file, tensor, expected, found, message };
}

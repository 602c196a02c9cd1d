/**
 * The `data.pkl` of a PyTorch zip checkpoint, read as plain data. torch.save pickles a dict of
 * tensors as calls to a handful of globals (torch/serialization.py `_save`, torch/_utils.py
 * `_rebuild_tensor_v2`); we resolve exactly those to functions that build descriptors and
 * refuse every other global by name, so a malicious checkpoint can never run code here
 * (pickle's REDUCE only ever calls what the resolver returned).
 */
import { Parser } from "pickleparser";
import type { CheckpointDtype } from "./types.ts";

/** pickleparser's global resolver (its package index does not re-export the type). */
type NameResolver = NonNullable<ConstructorParameters<typeof Parser>[0]>["nameResolver"];

/** One storage of the archive (`<archive>/data/<key>`), as the pickle's persistent id names it. */
export interface TorchStorageRef {
  readonly key: string;
  readonly dtype: CheckpointDtype;
  /** Elements in the storage. */
  readonly numel: number;
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of one storage. */
export interface TorchTensorRef {
  readonly storage: TorchStorageRef;
  /** In elements. */
  readonly storageOffset: number;
  readonly shape: readonly number[];
  /** In elements. */
  readonly stride: readonly number[];
}

/** Why a pickle was refused: `global` is set when it names a global outside the allowed set. */
export class TorchPickleError extends Error {
  constructor(
    message: string,
    readonly global?: string,
  ) {
    super(message);
    this.name = "TorchPickleError";
  }
}

/** The legacy typed-storage classes torch.save pickles as a storage's type (torch/storage.py). */
const STORAGE_DTYPES: Readonly<Record<string, CheckpointDtype>> = {
  FloatStorage: "float32",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  DoubleStorage: "float64",
  LongStorage: "int64",
  IntStorage: "int32",
  ByteStorage: "uint8",
  BoolStorage: "bool",
};

/** A storage class named in the pickle: a value only, never callable. */
class StorageType {
  constructor(readonly dtype: CheckpointDtype) {}
}

/** A tensor ref whose class tells it apart from plain dicts and tuples in the unpickled data. */
class TensorRefValue implements TorchTensorRef {
  constructor(
    readonly storage: TorchStorageRef,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {
    // Frozen so that a pickle's BUILD cannot rewrite a record after validation.
    Object.freeze(this);
  }
}

function toCount(value: unknown, what: string): number {
  const number = typeof value === "bigint" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isSafeInteger(number) || number < 0) {
    throw new TorchPickleError(`${what} must be a non-negative integer, got ${String(value)}`);
  }
  return number;
}

function toCounts(value: unknown, what: string): number[] {
  if (!Array.isArray(value)) throw new TorchPickleError(`${what} must be a tuple, got ${typeof value}`);
  return value.map((item, index) => toCount(item, `${what}[${index}]`));
}

/** torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
function rebuildTensor(storage: unknown, storageOffset: unknown, size: unknown, stride: unknown): TensorRefValue {
  if (!isStorageRef(storage)) throw new TorchPickleError("_rebuild_tensor_v2's first argument is not a storage");
  const shape = toCounts(size, "size");
  const strides = toCounts(stride, "stride");
  if (shape.length !== strides.length) {
    throw new TorchPickleError(`size has ${shape.length} dimensions but stride has ${strides.length}`);
  }
  return new TensorRefValue(storage, toCount(storageOffset, "storage_offset"), shape, strides);
}

const storageRefs = new WeakSet<object>();
function isStorageRef(value: unknown): value is TorchStorageRef {
  return typeof value === "object" && value !== null && storageRefs.has(value);
}

/** The globals a state dict needs; anything else is refused by its dotted name. */
function allowedGlobals(): Map<string, unknown> {
  const globals = new Map<string, unknown>([
    ["torch._utils._rebuild_tensor_v2", rebuildTensor],
    // _rebuild_parameter(data, requires_grad, backward_hooks): a Parameter is its tensor for us.
    [
      "torch._utils._rebuild_parameter",
      (data: unknown) => {
        if (!(data instanceof TensorRefValue)) throw new TorchPickleError("_rebuild_parameter's data is not a tensor");
        return data;
      },
    ],
    // OrderedDict() holds state dicts and the (always empty) backward hooks; a plain function so
    // that both REDUCE (call) and NEWOBJ (construct) give a Map.
    [
      "collections.OrderedDict",
      function orderedDict() {
        return new Map();
      },
    ],
  ]);
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) globals.set(`torch.${name}`, new StorageType(dtype));
  return globals;
}

/**
 * Unpickles a torch.save `data.pkl` into plain data (Maps for dicts, arrays for tuples and lists)
 * with tensors as `TorchTensorRef`s. Throws `TorchPickleError` for any global outside the
 * tensor-rebuild set, naming it, and for malformed tensor records.
 */
export function parseTorchPickle(bytes: Uint8Array): unknown {
  const globals = allowedGlobals();
  const nameResolver: NameResolver = {
    resolve(module: string, name: string) {
      const qualified = `${module}.${name}`;
      const value = globals.get(qualified);
      if (value === undefined) {
        throw new TorchPickleError(
          `refused pickle global ${qualified}: a weight file may only use torch's tensor-rebuild globals ` +
            `(${[...globals.keys()].join(", ")})`,
          qualified,
        );
      }
      // pickleparser types globals as callables; storage types are values that are never called.
      return value as () => unknown;
    },
  };
  const storages = new Map<string, TorchStorageRef>();
  const parser = new Parser({
    nameResolver,
    unpicklingTypeOfDictionary: "Map",
    persistentResolver: {
      // ('storage', storage_type, key, location, numel): torch/serialization.py `persistent_id`.
      resolve(pid: unknown) {
        if (!Array.isArray(pid) || pid[0] !== "storage" || !(pid[1] instanceof StorageType)) {
          throw new TorchPickleError(`unsupported persistent id ${JSON.stringify(pid)}`);
        }
        const key = String(pid[2]);
        const existing = storages.get(key);
        if (existing) return existing;
        const storage: TorchStorageRef = Object.freeze({
          key,
          dtype: pid[1].dtype,
          numel: toCount(pid[4], "storage numel"),
        });
        storageRefs.add(storage);
        storages.set(key, storage);
        return storage;
      },
    },
  });
  try {
    return parser.parse(bytes);
  } catch (error) {
    if (error instanceof TorchPickleError) throw error;
    throw new TorchPickleError(`not a plain-data torch pickle: ${(error as Error).message}`);
  }
}

/** Whether an unpickled value is a tensor record. */
export function isTorchTensorRef(value: unknown): value is TorchTensorRef {
  return value instanceof TensorRefValue;
}

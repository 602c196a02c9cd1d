import type { z } from "zod";
import type { NodeSchema, SocketTypeInfo } from "../graph/node-schema.ts";
import type { Workflow } from "../graph/workflow.ts";
import type { PackageNotice, PackageResource } from "../protocol/index.ts";

/**
 * The node definition API: what a node package (such as `nodes/`) implements. A node type
 * declares its schema next to its `run`; the registry is a list of these.
 */

/** A typed key into the shared resources a server provides to nodes (model packs, ...). */
export interface ResourceKey<T> {
  readonly id: string;
  /** Phantom field carrying T; never set. */
  readonly __type?: T;
}

/** Creates a resource key; define one per resource in the package that owns the resource's type. */
export function resourceKey<T>(id: string): ResourceKey<T> {
  return { id };
}

/** Shared, long-lived services a node may use; the server entry wires them. */
export interface Resources {
  get<T>(key: ResourceKey<T>): T;
  has(key: ResourceKey<unknown>): boolean;
}

/** A reference to a file the server can serve: GET /api/files/<folder>/<name>. */
export interface FileRef {
  folder: "input" | "output" | "temp";
  /** Path inside the folder, `/`-separated, never absolute, never containing `..`. */
  name: string;
}

/** What an output node shows in the editor; cached with the node and replayed on a cache hit. */
export interface UiResult {
  images?: (FileRef & { width: number; height: number })[];
  text?: string[];
}

/** A small RGB picture sent to the editor while a node runs (e.g. the sampler's latent preview). */
export interface PreviewImage {
  width: number;
  height: number;
  /** Packed 8-bit RGB, width*height*3 bytes. */
  rgb: Uint8Array;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** The folders a node may read from and write to, with traversal-safe helpers. */
export interface FileAccess {
  /** Absolute path of a file in the input folder; throws if `name` escapes the folder. */
  resolveInput(name: string): string;
  /**
   * The bytes of a file in the input folder, read without following links (a symlink or hard
   * link placed in the folder is refused); throws an InfixError naming the file relative to the folder.
   */
  readInput(name: string): Promise<Uint8Array>;
  /** Absolute path of a file in the output folder; throws if `name` escapes the folder. */
  resolveOutput(name: string): string;
  /** Writes bytes to a fresh, non-clashing name in the output (or temp) folder; returns its ref. */
  writeOutput(preferredName: string, bytes: Uint8Array, folder?: "output" | "temp"): Promise<FileRef>;
}

export interface RunContext {
  readonly nodeId: string;
  /** Aborted when the job is cancelled; long loops check it every step. */
  readonly signal: AbortSignal;
  /** The workflow being run (Save Image embeds it in the PNG). */
  readonly workflow: Workflow;
  readonly resources: Resources;
  readonly files: FileAccess;
  readonly log: Logger;
  /** Reports progress of this node; the server throttles to the latest per node. */
  progress(step: number, total: number): void;
  /** Sends a live preview picture of this node to the editor. */
  preview(image: PreviewImage): void;
  /** Adds images or text to what the editor shows on this node. */
  show(result: UiResult): void;
}

/** Input values as run() receives them: widget values, linked outputs, undefined for unset optional inputs. */
export type NodeInputs = Record<string, unknown>;
/** Output values by output name. */
export type NodeOutputs = Record<string, unknown>;

export interface NodeDefinition {
  readonly schema: NodeSchema;
  run(inputs: NodeInputs, ctx: RunContext): Promise<NodeOutputs>;
  /**
   * Extra material for the cache key beyond type, version and inputs: nodes that read files
   * return the file's content hash here so editing the file re-runs them.
   */
  cacheKeyExtra?(inputs: NodeInputs, ctx: Pick<RunContext, "files" | "resources">): Promise<string> | string;
  /**
   * Checks of literal widget values that the schema cannot express (e.g. width a multiple
   * of the pack's scale factor). Returns one message per problem, [] when fine.
   */
  validate?(values: Record<string, unknown>): string[];
  /**
   * ENUM options known only at run time (e.g. the installed model packs), by input name;
   * the server fills them into the schema it serves and validates against them.
   */
  dynamicOptions?: Record<string, (resources: Resources) => string[] | EnumChoices>;
}

/** ENUM options with display text for some of them (the value stored stays the option). */
export interface EnumChoices {
  readonly options: string[];
  readonly labels?: Record<string, string>;
}

/**
 * A kind of file a package's nodes read that users may upload through POST /api/uploads,
 * recognised by its name's ending and accepted only when `check` finds the bytes sound. The
 * engine itself accepts PNG/JPEG/WebP pictures and `.npy` arrays; everything else comes from here.
 */
export interface UploadKind {
  /** Short id reported back with the stored file, e.g. `"note"`. */
  readonly name: string;
  /** The file-name ending, lowercase, with its leading dot; may span several dots (`".note.txt"`). */
  readonly suffix: string;
  /** What it is, for the 415 message that lists what is accepted (e.g. "text notes"). */
  readonly description: string;
  /** Why `bytes` are refused (one sentence for the person uploading), or undefined when they are fine. */
  check(bytes: Uint8Array): string | undefined;
}

/** A node package: its node types and the socket types it introduces. */
export interface NodePackage {
  readonly name: string;
  readonly nodes: readonly NodeDefinition[];
  readonly socketTypes: readonly SocketTypeInfo[];
  /** The upload kinds its nodes read (a suffix may be declared by one package only). */
  readonly uploadKinds?: readonly UploadKind[];
  /** The kinds of resource it offers (a kind may be declared by one package only). */
  readonly resourceKinds?: readonly ResourceKind[];
  /**
   * What it offers now, for GET /api/packages and the start banner: its installed resources
   * and notices for the user. Called on each request: keep it cheap (cache inside).
   */
  describe?(resources: Resources): PackageState | Promise<PackageState>;
}

/**
 * A kind of resource a node package offers besides node types (the BLIP-Diffusion package:
 * model packs). Workflows name what they need as requirements of a kind (`Workflow.requires`).
 */
export interface ResourceKind {
  /** Stable name saved in workflows' requirements, e.g. `model-pack`. */
  readonly kind: string;
  /** What one is called in messages, e.g. "model pack". */
  readonly title: string;
  /** How to get one that is missing: one sentence, `code` in backticks. */
  readonly help?: string;
  /** Checks each resource's `details`; published to the editor as JSON Schema. Absent: details must be empty. */
  readonly details?: z.ZodType<Record<string, unknown>>;
}

/** A resource as its package describes it; `details` is checked against its kind's schema. */
export type OfferedResource = Omit<PackageResource, "details"> & { details?: Record<string, unknown> };

/** What a package offers at one moment. */
export interface PackageState {
  resources: readonly OfferedResource[];
  notices?: readonly PackageNotice[];
}

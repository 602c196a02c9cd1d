import { z } from "zod";

/**
 * The serialisable description of a node type, as GET /api/nodes serves it. The editor
 * builds its palette, sockets and widgets from this alone; the validator checks
 * workflows against it. Pure: no Node or DOM imports.
 */

/** Socket type names are open: node packages declare their own (IMAGE, LATENT, SUBJECT, ...). */
export const SocketTypeSchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$|^\*$/, "socket types are UPPER_SNAKE, or * for any");
export type SocketType = z.infer<typeof SocketTypeSchema>;

/** Primitive socket types whose values can be typed into a widget. */
export const PRIMITIVE_TYPES = ["INT", "FLOAT", "STRING", "BOOLEAN"] as const;

const numberWidget = {
  min: z.number().optional(),
  max: z.number().optional(),
  /** The arrows' and drag's increment; for INT, values must also be multiples of it (checked inline and at validation). */
  step: z.number().positive().optional(),
};

export const WidgetSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("INT"),
    default: z.number().int(),
    ...numberWidget,
    /**
     * A value that stands for a choice rather than a number (e.g. 0 = "pack default"): it
     * passes the range and step checks and the editor shows the label instead of the number.
     */
    special: z.object({ value: z.number().int(), label: z.string() }).optional(),
  }),
  z.object({ kind: z.literal("FLOAT"), default: z.number(), ...numberWidget }),
  z.object({
    kind: z.literal("STRING"),
    default: z.string(),
    multiline: z.boolean().optional(),
    placeholder: z.string().optional(),
    /** Reject the empty string (after trimming) at validation. */
    nonEmpty: z.boolean().optional(),
  }),
  z.object({ kind: z.literal("BOOLEAN"), default: z.boolean() }),
  z.object({
    kind: z.literal("ENUM"),
    default: z.string(),
    options: z.array(z.string()),
    /** Display text for some options (e.g. "blip (not imported yet)"); the workflow stores the option itself. */
    labels: z.record(z.string(), z.string()).optional(),
  }),
  /** A seed: an integer in [0, 2^53) with randomize / fixed / increment in the editor. */
  z.object({ kind: z.literal("SEED"), default: z.number().int().nonnegative() }),
  /** A file name inside one of the server's file folders (uploads land in `input`). */
  z.object({
    kind: z.literal("FILE"),
    default: z.string(),
    folder: z.enum(["input", "output"]),
    accept: z.array(z.string()).describe("file extensions with the dot, e.g. ['.png', '.jpg']"),
    /** When true the value is a folder name (inputs/<folder>) rather than one file. */
    directory: z.boolean().optional(),
  }),
]);
export type Widget = z.infer<typeof WidgetSchema>;
export type WidgetKind = Widget["kind"];

export const InputSpecSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, "input names are snake_case"),
  type: SocketTypeSchema,
  label: z.string().optional(),
  description: z.string().optional(),
  /** An optional input may be left unlinked and without a value; run() then gets undefined. */
  optional: z.boolean().optional(),
  /** Present when the input can be typed in; such an input takes either a link or a value. */
  widget: WidgetSchema.optional(),
  /**
   * When true the node receives a whole list on this input (e.g. several subject images to
   * average) instead of running once per item.
   */
  acceptsList: z.boolean().optional(),
});
export type InputSpec = z.infer<typeof InputSpecSchema>;

export const OutputSpecSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, "output names are snake_case"),
  type: SocketTypeSchema,
  label: z.string().optional(),
  description: z.string().optional(),
  /** When true the value is a list and nodes downstream run once per item (fan-out). */
  list: z.boolean().optional(),
});
export type OutputSpec = z.infer<typeof OutputSpecSchema>;

export const NodeSchemaSchema = z.object({
  /** Unique type id, PascalCase, e.g. `QFormerEncode`. */
  type: z.string().regex(/^[A-Z][A-Za-z0-9]*$/),
  /** Bumped when the node's computation changes, so old cache entries stop matching. */
  version: z.number().int().positive(),
  /** Slash-separated palette path, e.g. `subject` or `image/io`. */
  category: z.string(),
  title: z.string(),
  description: z.string(),
  inputs: z.array(InputSpecSchema),
  outputs: z.array(OutputSpecSchema),
  /** Output nodes are what a run is for: with no target, every active output node runs. */
  isOutput: z.boolean(),
});
export type NodeSchema = z.infer<typeof NodeSchemaSchema>;

export const SocketTypeInfoSchema = z.object({
  name: SocketTypeSchema,
  /** CSS colour for handles and edges. */
  color: z.string(),
  description: z.string(),
});
export type SocketTypeInfo = z.infer<typeof SocketTypeInfoSchema>;

/** What GET /api/nodes returns. */
export const NodeCatalogSchema = z.object({
  nodes: z.array(NodeSchemaSchema),
  socketTypes: z.array(SocketTypeInfoSchema),
});
export type NodeCatalog = z.infer<typeof NodeCatalogSchema>;

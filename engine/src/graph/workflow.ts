import { z } from "zod";

/**
 * The saved workflow document, version 2. One document serves the editor and the engine:
 * `nodes` is what runs; `editor` is layout the engine ignores (moving a node changes no
 * cache key). Old versions' schemas stay frozen in `migrations/`; `parseWorkflow` migrates.
 * Pure: no Node or DOM imports.
 */

export const WORKFLOW_FORMAT = "infix-workflow";
export const WORKFLOW_VERSION = 2;

/** A link from another node's named output. */
export const LinkSchema = z.object({ node: z.string().min(1), output: z.string().min(1) }).strict();
export type Link = z.infer<typeof LinkSchema>;

/** A literal widget value. */
export const LiteralSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Literal = z.infer<typeof LiteralSchema>;

export const InputValueSchema = z.union([LinkSchema, LiteralSchema]);
export type InputValue = z.infer<typeof InputValueSchema>;

/** Whether an input value is a link `{ node, output }` rather than a literal. */
export function isLink(value: unknown): value is Link {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Link).node === "string" &&
    typeof (value as Link).output === "string"
  );
}

export const NodeModeSchema = z.enum(["active", "muted", "bypassed"]);
export type NodeMode = z.infer<typeof NodeModeSchema>;

export const WorkflowNodeSchema = z.object({
  type: z.string().min(1),
  mode: NodeModeSchema.default("active"),
  /** Input name → literal value or link. Inputs left out take the widget default. */
  inputs: z.record(z.string(), InputValueSchema).default({}),
  /** User-given title; the engine uses it only in messages. */
  title: z.string().optional(),
});
export type WorkflowNode = z.infer<typeof WorkflowNodeSchema>;

/**
 * A resource the workflow needs besides its node types (a model, a font...): the node package
 * that offers the kind fills these in (a saved picture then says which weights made it), and
 * the editor names those the server lacks. The engine only carries them.
 */
export const RequirementSchema = z
  .object({
    /** The resource kind, as the node package offering it declares it (e.g. `model-pack`). */
    kind: z.string().min(1),
    /** The resource's id within its kind, as node inputs name it. */
    id: z.string().min(1),
    /** Content hash, `sha256:<hex>`; absent when unknown. */
    hash: z.string().optional(),
  })
  .strict();
export type Requirement = z.infer<typeof RequirementSchema>;

const PointSchema = z.object({ x: z.number(), y: z.number() });
const SizeSchema = z.object({ width: z.number().positive(), height: z.number().positive() });

export const EditorNodeLayoutSchema = z.object({
  position: PointSchema,
  size: SizeSchema.optional(),
  collapsed: z.boolean().optional(),
  color: z.string().optional(),
  /** Seed widgets: what to do after each queued run. */
  seedControl: z.record(z.string(), z.enum(["fixed", "randomize", "increment"])).optional(),
});

export const EditorDataSchema = z
  .object({
    nodes: z.record(z.string(), EditorNodeLayoutSchema).default({}),
    groups: z
      .array(
        z.object({
          id: z.string(),
          title: z.string(),
          position: PointSchema,
          size: SizeSchema,
          color: z.string().optional(),
        }),
      )
      .default([]),
    notes: z
      .array(z.object({ id: z.string(), text: z.string(), position: PointSchema, size: SizeSchema.optional() }))
      .default([]),
    viewport: z.object({ x: z.number(), y: z.number(), zoom: z.number().positive() }).optional(),
  })
  // Editors may keep more layout state; keep what we do not know rather than drop it.
  .passthrough();
export type EditorData = z.infer<typeof EditorDataSchema>;

export const WorkflowSchema = z.object({
  format: z.literal(WORKFLOW_FORMAT),
  version: z.literal(WORKFLOW_VERSION),
  name: z.string().optional(),
  description: z.string().optional(),
  nodes: z.record(z.string().min(1), WorkflowNodeSchema),
  /** What the workflow needs besides node types; version 1 called this `packs` (model packs only). */
  requires: z.array(RequirementSchema).default([]),
  editor: EditorDataSchema.optional(),
});
export type Workflow = z.infer<typeof WorkflowSchema>;

/** An empty workflow, for new documents. */
export function emptyWorkflow(): Workflow {
  return {
    format: WORKFLOW_FORMAT,
    version: WORKFLOW_VERSION,
    nodes: {},
    requires: [],
    editor: { nodes: {}, groups: [], notes: [] },
  };
}

/**
 * The workflow with its requirements of one kind replaced (other kinds kept, in order), as the
 * package that owns `kind` brings them up to date.
 */
export function withRequirements(workflow: Workflow, kind: string, requirements: readonly Requirement[]): Workflow {
  return {
    ...workflow,
    requires: [...workflow.requires.filter((requirement) => requirement.kind !== kind), ...requirements],
  };
}

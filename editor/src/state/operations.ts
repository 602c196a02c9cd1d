import {
  isLink,
  type InputValue,
  type Literal,
  type NodeMode,
  type NodeSchema,
  type Workflow,
  type WorkflowNode,
} from "@infix/graph";

/**
 * Pure edits of the workflow document. Each takes the workflow (an immer draft when called
 * through the document store) and mutates it; the store records the patches for undo.
 * Layout lives in `workflow.editor` so the document round-trips as Workflow v1 unchanged.
 */

export interface Point {
  x: number;
  y: number;
}

type EditorData = NonNullable<Workflow["editor"]>;

/**
 * Widget values an input had before a link replaced them, so unlinking restores what the user
 * typed (ComfyUI keeps the widget value too). Kept in the editor data's passthrough area.
 */
type StashedValues = Record<string, Record<string, Literal>>;
const STASH_KEY = "linkedWidgetValues";

export function ensureEditor(workflow: Workflow): EditorData {
  workflow.editor ??= { nodes: {}, groups: [], notes: [] };
  workflow.editor.nodes ??= {};
  workflow.editor.groups ??= [];
  workflow.editor.notes ??= [];
  return workflow.editor;
}

function stash(workflow: Workflow): StashedValues {
  const editor = ensureEditor(workflow) as EditorData & { [STASH_KEY]?: StashedValues };
  editor[STASH_KEY] ??= {};
  return editor[STASH_KEY];
}

/** The next free node id: numeric ids count up from the largest one in use, like ComfyUI's. */
export function nextNodeId(workflow: Workflow, taken: ReadonlySet<string> = new Set()): string {
  let max = 0;
  for (const id of [...Object.keys(workflow.nodes), ...taken]) {
    const n = Number(id);
    if (Number.isInteger(n) && n > max) max = n;
  }
  return String(max + 1);
}

/** A new node of `schema` at `position`, its widget inputs at their defaults; returns the id. */
export function addNode(workflow: Workflow, schema: NodeSchema, position: Point): string {
  const id = nextNodeId(workflow);
  const inputs: Record<string, InputValue> = {};
  for (const input of schema.inputs) if (input.widget) inputs[input.name] = input.widget.default;
  workflow.nodes[id] = { type: schema.type, mode: "active", inputs };
  const layout: EditorData["nodes"][string] = { position: { x: position.x, y: position.y } };
  const seeds = schema.inputs.filter((i) => i.widget?.kind === "SEED");
  if (seeds.length > 0) layout.seedControl = Object.fromEntries(seeds.map((s) => [s.name, "randomize" as const]));
  ensureEditor(workflow).nodes[id] = layout;
  return id;
}

/** Removes nodes, their layout, and every link into the rest of the graph from them. */
export function removeNodes(workflow: Workflow, ids: Iterable<string>): void {
  const gone = new Set(ids);
  const editor = ensureEditor(workflow);
  const stashed = stash(workflow);
  for (const id of gone) {
    delete workflow.nodes[id];
    delete editor.nodes[id];
    delete stashed[id];
  }
  for (const [id, node] of Object.entries(workflow.nodes)) {
    for (const [name, value] of Object.entries(node.inputs)) {
      if (isLink(value) && gone.has(value.node)) unlinkInput(workflow, id, name);
    }
  }
}

/** Links `source.output` into `target.input`, replacing any earlier link or value there. */
export function connect(workflow: Workflow, source: string, output: string, target: string, input: string): void {
  const node = workflow.nodes[target];
  if (!node || !workflow.nodes[source]) return;
  const previous = node.inputs[input];
  if (previous !== undefined && !isLink(previous)) {
    const stashed = stash(workflow);
    stashed[target] ??= {};
    stashed[target][input] = previous;
  }
  node.inputs[input] = { node: source, output };
}

/** Removes the link into `target.input`, restoring the widget value it had before linking. */
export function unlinkInput(workflow: Workflow, target: string, input: string): void {
  const node = workflow.nodes[target];
  if (!node) return;
  const stashed = stash(workflow);
  const previous = stashed[target]?.[input];
  if (previous !== undefined) {
    node.inputs[input] = previous;
    delete stashed[target][input];
    if (Object.keys(stashed[target]).length === 0) delete stashed[target];
  } else {
    delete node.inputs[input];
  }
}

export function setInputValue(workflow: Workflow, id: string, input: string, value: Literal): void {
  const node = workflow.nodes[id];
  if (node) node.inputs[input] = value;
}

export function moveNodes(workflow: Workflow, positions: Record<string, Point>): void {
  const editor = ensureEditor(workflow);
  for (const [id, position] of Object.entries(positions)) {
    const layout = editor.nodes[id];
    if (layout) layout.position = { x: position.x, y: position.y };
    else if (workflow.nodes[id]) editor.nodes[id] = { position: { x: position.x, y: position.y } };
  }
}

/** Toggles `mode` on the nodes: when all of them already have it they become active again. */
export function toggleMode(workflow: Workflow, ids: readonly string[], mode: Exclude<NodeMode, "active">): void {
  const nodes = ids.map((id) => workflow.nodes[id]).filter((n): n is WorkflowNode => n !== undefined);
  const allSet = nodes.length > 0 && nodes.every((n) => n.mode === mode);
  for (const node of nodes) node.mode = allSet ? "active" : mode;
}

export function setSeedControl(
  workflow: Workflow,
  id: string,
  input: string,
  control: "fixed" | "randomize" | "increment",
): void {
  const layout = ensureEditor(workflow).nodes[id];
  if (!layout) return;
  layout.seedControl = { ...layout.seedControl, [input]: control };
}

export function setTitle(workflow: Workflow, id: string, title: string): void {
  const node = workflow.nodes[id];
  if (!node) return;
  if (title.trim()) node.title = title;
  else delete node.title;
}

/** The largest seed a SEED widget holds: 2^53 - 1, so it stays an exact JS number. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/**
 * Applies each seed widget's after-run control (randomize / increment; fixed stays), as the
 * editor does right after queueing, so the next run differs. `random` gives [0, 1).
 */
export function advanceSeeds(
  workflow: Workflow,
  seedInputs: (type: string) => readonly string[],
  random: () => number = Math.random,
): void {
  const editor = ensureEditor(workflow);
  for (const [id, node] of Object.entries(workflow.nodes)) {
    if (node.mode !== "active") continue;
    for (const input of seedInputs(node.type)) {
      const value = node.inputs[input];
      if (isLink(value)) continue;
      const control = editor.nodes[id]?.seedControl?.[input] ?? "randomize";
      if (control === "randomize")
        node.inputs[input] = Math.floor(random() * 2 ** 32) * 2 ** 21 + Math.floor(random() * 2 ** 21);
      else if (control === "increment")
        node.inputs[input] = typeof value === "number" && value < MAX_SEED ? value + 1 : 0;
    }
  }
}

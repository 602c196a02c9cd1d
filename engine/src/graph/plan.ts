import { socketTypesMatch } from "./connect.ts";
import type { InputSpec, NodeSchema, SocketType } from "./node-schema.ts";
import type { Problem } from "./problem.ts";
import { describeNode } from "./problem-codes.ts";
import { isLink, type Literal, type Workflow, type WorkflowNode } from "./workflow.ts";

/**
 * What a run needs and in which order: resolves each input through bypassed nodes, collects
 * the nodes the targets depend on, orders them, and finds cycles. Pure: no Node or DOM imports.
 */

/** Finds a node type's schema; build one from a list or map with `schemaLookup`. */
export type SchemaLookup = (type: string) => NodeSchema | undefined;

/** Accepts a catalog as a list, a map by type, or a lookup function. */
export function schemaLookup(
  catalog: readonly NodeSchema[] | ReadonlyMap<string, NodeSchema> | SchemaLookup,
): SchemaLookup {
  if (typeof catalog === "function") return catalog;
  const byType =
    catalog instanceof Map
      ? catalog
      : new Map((catalog as readonly NodeSchema[]).map((schema) => [schema.type, schema]));
  return (type) => byType.get(type);
}

/** Where an input's value comes from once bypassed nodes are seen through. */
export type InputSource =
  /** An active node's output; `via` lists the bypassed nodes passed on the way, nearest first. */
  | { kind: "link"; node: string; output: string; via: string[] }
  /** A literal typed into a widget, or the widget's default when left out. */
  | { kind: "value"; value: Literal; isDefault: boolean }
  /** Nothing: an input left out that has no widget, or a link from a muted node (`mutedNode`). */
  | { kind: "unset"; mutedNode?: string }
  /** A link that leads nowhere; `problem` says why (missing node or output, unmatched bypass). */
  | { kind: "broken"; problem: Problem };

/**
 * Resolves one input of a node: a literal, a widget default, or the active node output it
 * is linked to, passing through bypassed nodes (a bypassed node hands on its first input whose
 * type matches the output being read, as ComfyUI's bypass does).
 */
export function resolveInput(workflow: Workflow, lookup: SchemaLookup, nodeId: string, spec: InputSpec): InputSource {
  const node = workflow.nodes[nodeId];
  const raw = node?.inputs[spec.name];
  if (isLink(raw)) return followLink(workflow, lookup, nodeId, spec, raw.node, raw.output, []);
  if (raw !== undefined && raw !== null) return { kind: "value", value: raw, isDefault: false };
  if (spec.widget) return { kind: "value", value: spec.widget.default, isDefault: true };
  return { kind: "unset" };
}

function followLink(
  workflow: Workflow,
  lookup: SchemaLookup,
  consumerId: string,
  spec: InputSpec,
  sourceId: string,
  outputName: string,
  via: string[],
): InputSource {
  const consumer = workflow.nodes[consumerId];
  const source = workflow.nodes[sourceId];
  const where = { nodeId: consumerId, input: spec.name };
  if (!source) {
    return {
      kind: "broken",
      problem: {
        code: "link_to_missing_node",
        message: `Input '${spec.name}' of ${describeNode(consumerId, consumer)} is linked to node #${sourceId}, which does not exist; reconnect it.`,
        ...where,
        found: sourceId,
      },
    };
  }
  if (source.mode === "muted") return { kind: "unset", mutedNode: sourceId };
  const sourceSchema = lookup(source.type);
  // An unknown source type is reported on that node; here the link stands as written.
  if (!sourceSchema) return { kind: "link", node: sourceId, output: outputName, via };
  const output = sourceSchema.outputs.find((candidate) => candidate.name === outputName);
  if (!output) {
    return {
      kind: "broken",
      problem: {
        code: "link_to_missing_output",
        message: `Input '${spec.name}' of ${describeNode(consumerId, consumer)} reads output '${outputName}' of ${describeNode(sourceId, source, sourceSchema)}, which has no such output; reconnect it.`,
        ...where,
        expected: sourceSchema.outputs.map((candidate) => candidate.name).join(", "),
        found: outputName,
      },
    };
  }
  if (source.mode !== "bypassed") return { kind: "link", node: sourceId, output: outputName, via };
  if (via.includes(sourceId)) return { kind: "unset" }; // a loop of bypassed nodes; the cycle check reports it
  const passed = firstInputOfType(sourceSchema, output.type);
  if (!passed) {
    return {
      kind: "broken",
      problem: {
        code: "bypass_unmatched",
        message: `${describeNode(sourceId, source, sourceSchema)} is bypassed but has no ${output.type} input to pass on to '${spec.name}' of ${describeNode(consumerId, consumer)}; un-bypass or mute it.`,
        ...where,
        expected: output.type,
      },
    };
  }
  const raw = source.inputs[passed.name];
  const nextVia = [...via, sourceId];
  if (isLink(raw)) return followLink(workflow, lookup, sourceId, passed, raw.node, raw.output, nextVia);
  if (raw !== undefined && raw !== null) return { kind: "value", value: raw, isDefault: false };
  if (passed.widget) return { kind: "value", value: passed.widget.default, isDefault: true };
  return { kind: "unset" };
}

function firstInputOfType(schema: NodeSchema, type: SocketType): InputSpec | undefined {
  return schema.inputs.find((input) => socketTypesMatch(type, input.type));
}

/** A node that will run, with its inputs resolved. */
export interface PlannedNode {
  readonly id: string;
  readonly node: WorkflowNode;
  /** Absent when the type is unknown (validation reports it). */
  readonly schema: NodeSchema | undefined;
  /** Resolved inputs by input name, for every input the schema declares. */
  readonly inputs: Readonly<Record<string, InputSource>>;
  /** Ids of the active nodes this one reads from, without repeats. */
  readonly dependencies: readonly string[];
}

export interface ExecutionPlan {
  /** The nodes asked for: the given targets, or every active output node. */
  readonly targets: readonly string[];
  /** Every needed node, dependencies before dependents (ties keep document order). */
  readonly order: readonly string[];
  readonly nodes: ReadonlyMap<string, PlannedNode>;
  /** Each cycle among the needed nodes, as node ids. Nodes in a cycle are missing from `order`. */
  readonly cycles: readonly (readonly string[])[];
}

/** The active output nodes, in document order: what a run is for when no target is given. */
export function defaultTargets(workflow: Workflow, lookup: SchemaLookup): string[] {
  return Object.entries(workflow.nodes)
    .filter(([, node]) => node.mode === "active" && lookup(node.type)?.isOutput === true)
    .map(([id]) => id);
}

function planNode(workflow: Workflow, lookup: SchemaLookup, id: string): PlannedNode {
  const node = workflow.nodes[id];
  const schema = lookup(node.type);
  const inputs: Record<string, InputSource> = {};
  const dependencies = new Set<string>();
  if (schema) {
    for (const spec of schema.inputs) {
      const source = resolveInput(workflow, lookup, id, spec);
      inputs[spec.name] = source;
      if (source.kind === "link") dependencies.add(source.node);
    }
  } else {
    // Unknown type: still follow its links so the needed set and order stay sensible.
    for (const raw of Object.values(node.inputs)) {
      if (isLink(raw) && workflow.nodes[raw.node]?.mode === "active") dependencies.add(raw.node);
    }
  }
  return { id, node, schema, inputs, dependencies: [...dependencies] };
}

/**
 * Plans a run: the nodes the targets need (only active nodes; muted ones never run, bypassed
 * ones are seen through), in dependency order, with cycles found by Tarjan's SCC algorithm.
 * Targets that do not exist or are not active are skipped here; `validateWorkflow` reports them.
 */
export function planExecution(workflow: Workflow, lookup: SchemaLookup, targets?: readonly string[]): ExecutionPlan {
  const wanted = (targets ?? defaultTargets(workflow, lookup)).filter((id) => workflow.nodes[id]?.mode === "active");
  const nodes = new Map<string, PlannedNode>();
  const stack = [...wanted];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (nodes.has(id)) continue;
    const planned = planNode(workflow, lookup, id);
    nodes.set(id, planned);
    for (const dependency of planned.dependencies) if (!nodes.has(dependency)) stack.push(dependency);
  }
  const documentOrder = Object.keys(workflow.nodes).filter((id) => nodes.has(id));
  const cycles = findCycles(documentOrder, nodes);
  const inCycle = new Set(cycles.flat());
  return { targets: wanted, order: topologicalOrder(documentOrder, nodes, inCycle), nodes, cycles };
}

/** Kahn's algorithm; among ready nodes the earliest in the document goes first, so order is deterministic. */
function topologicalOrder(
  documentOrder: readonly string[],
  nodes: ReadonlyMap<string, PlannedNode>,
  skip: ReadonlySet<string>,
): string[] {
  const rank = new Map(documentOrder.map((id, index) => [id, index]));
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of documentOrder) {
    const dependencies = nodes.get(id)?.dependencies ?? [];
    waitingOn.set(id, dependencies.length);
    for (const dependency of dependencies) {
      const list = dependents.get(dependency);
      if (list) list.push(id);
      else dependents.set(dependency, [id]);
    }
  }
  // A min-heap would be O(n log n); a sorted ready list is simpler and fast for editor-sized graphs.
  const ready = documentOrder.filter((id) => waitingOn.get(id) === 0 && !skip.has(id));
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift() as string;
    order.push(id);
    let added = false;
    for (const dependent of dependents.get(id) ?? []) {
      const left = (waitingOn.get(dependent) as number) - 1;
      waitingOn.set(dependent, left);
      if (left === 0 && !skip.has(dependent)) {
        ready.push(dependent);
        added = true;
      }
    }
    if (added) ready.sort((a, b) => (rank.get(a) as number) - (rank.get(b) as number));
  }
  return order;
}

/** Strongly connected components of size > 1, or with a self-link: the cycles. Iterative Tarjan. */
function findCycles(documentOrder: readonly string[], nodes: ReadonlyMap<string, PlannedNode>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const rank = new Map(documentOrder.map((id, position) => [id, position]));
  let counter = 0;
  for (const root of documentOrder) {
    if (index.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    lowLink.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const dependencies = nodes.get(frame.id)?.dependencies ?? [];
      if (frame.next < dependencies.length) {
        const next = dependencies[frame.next++];
        if (!nodes.has(next)) continue;
        if (!index.has(next)) {
          index.set(next, counter);
          lowLink.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          work.push({ id: next, next: 0 });
        } else if (onStack.has(next)) {
          lowLink.set(frame.id, Math.min(lowLink.get(frame.id) as number, index.get(next) as number));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].id;
        lowLink.set(parent, Math.min(lowLink.get(parent) as number, lowLink.get(frame.id) as number));
      }
      if (lowLink.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        const selfLoop = component.length === 1 && dependencies.includes(frame.id);
        if (component.length > 1 || selfLoop) {
          cycles.push(component.sort((a, b) => (rank.get(a) as number) - (rank.get(b) as number)));
        }
      }
    }
  }
  return cycles;
}

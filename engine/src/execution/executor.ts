import type { OutputCache } from "../cache/output-cache.ts";
import { computeCacheKeys } from "../graph/cache-key.ts";
import type { NodeSchema } from "../graph/node-schema.ts";
import type { ExecutionPlan, PlannedNode } from "../graph/plan.ts";
import { InfixError, toProblem, type Problem } from "../graph/problem.ts";
import { describeNode } from "../graph/problem-codes.ts";
import { validateAndPlan, type ExtraValidator, type ValidationReport } from "../graph/validate.ts";
import type { Literal, Workflow } from "../graph/workflow.ts";
import type {
  FileAccess,
  Logger,
  NodeDefinition,
  NodeInputs,
  NodeOutputs,
  Resources,
  RunContext,
  UiResult,
} from "../nodes/definition.ts";
import type { NodeRegistry } from "../nodes/registry.ts";
import { fanOutInputs, joinFanOutOutputs, mergeUi, type HeldInput } from "./fan-out.ts";
import type { ExecuteRequest, ExecutionEvents, ExecutionResult, WorkflowExecutor } from "./types.ts";

/** What the executor stores per node: every output (a fanned-out node's as lists) and what it showed. */
export interface CachedNodeResult {
  outputs: NodeOutputs;
  ui?: UiResult;
}

export interface ExecutorOptions {
  registry: NodeRegistry;
  /** Shared across jobs; values the executor did not put there are ignored. */
  cache: OutputCache<unknown>;
  resources: Resources;
  files: FileAccess;
  log?: Logger;
}

function isCachedNodeResult(value: unknown): value is CachedNodeResult {
  return typeof value === "object" && value !== null && typeof (value as CachedNodeResult).outputs === "object";
}

const consoleLogger: Logger = {
  info: (message) => console.log(message),
  warn: (message) => console.warn(message),
};

/**
 * Runs workflows: validates, works out what the targets need, serves what it can from the
 * cache (looking up from the targets down, so a cached node spares everything above it),
 * runs the rest in dependency order, and caches each node as it completes.
 *
 * @example
 * const executor = new Executor({ registry, cache: new OutputCache({ budgetBytes: 2 ** 30 }), resources, files });
 * const result = await executor.execute({ workflow, signal: controller.signal, events });
 */
export class Executor implements WorkflowExecutor {
  private readonly options: ExecutorOptions;

  constructor(options: ExecutorOptions) {
    this.options = options;
  }

  validate(workflow: Workflow, targets?: string[]): Problem[] {
    return this.check(workflow, targets).problems;
  }

  /**
   * The cache key of every node a run of `workflow` (up to `targets`) needs, by node id, without
   * running anything: what a farm's coordinator routes on (a job goes to the worker holding most
   * of them). Undefined when the workflow is invalid or a node's key material cannot be read.
   */
  async cacheKeys(workflow: Workflow, targets?: string[]): Promise<Map<string, string> | undefined> {
    const { problems, plan } = this.check(workflow, targets);
    if (problems.length > 0) return undefined;
    try {
      return computeCacheKeys(plan, await this.cacheKeyExtras(plan));
    } catch (error) {
      if (error instanceof NodeStepError) return undefined;
      throw error;
    }
  }

  async execute(request: ExecuteRequest): Promise<ExecutionResult> {
    const { workflow, signal, events } = request;
    const result: ExecutionResult = { status: "succeeded", ui: {}, ran: [], cached: [], spared: [] };
    const { problems, plan } = this.check(workflow, request.targets);
    if (problems.length > 0) return { ...result, status: "failed", error: problems[0], problems };
    if (signal.aborted) return { ...result, status: "cancelled" };

    const listOutputs = listOutputsOf(plan);
    let keys: Map<string, string>;
    try {
      keys = computeCacheKeys(plan, await this.cacheKeyExtras(plan));
    } catch (error) {
      if (error instanceof NodeStepError) {
        events.nodeFailed(error.nodeId, error.problem);
        return { ...result, status: "failed", error: error.problem };
      }
      throw error;
    }

    result.cacheKeys = Object.fromEntries(keys);

    // From the targets down: a cache hit spares its whole upstream.
    const held = new Map<string, CachedNodeResult>();
    const mustRun = new Set<string>();
    const pending = [...plan.targets];
    while (pending.length > 0) {
      const id = pending.pop() as string;
      if (held.has(id) || mustRun.has(id)) continue;
      const hit = this.options.cache.get(keys.get(id) as string);
      if (isCachedNodeResult(hit)) {
        held.set(id, hit);
        continue;
      }
      mustRun.add(id);
      pending.push(...(plan.nodes.get(id) as PlannedNode).dependencies);
    }
    for (const id of plan.order) {
      if (mustRun.has(id)) continue;
      const hit = held.get(id);
      if (hit) this.served(id, hit, result, events);
      else if (this.options.cache.has(keys.get(id) as string)) {
        // Spared by a cached node downstream and still cached itself: it is up to date, and
        // the editor should say so rather than leave it blank.
        result.spared.push(id);
        events.nodeCached(id);
      }
    }

    for (const id of plan.order) {
      if (!mustRun.has(id)) continue;
      if (signal.aborted) return { ...result, status: "cancelled" };
      const key = keys.get(id) as string;
      // A node identical to one that ran earlier in this job (same key) is served, not re-run.
      const twin = this.options.cache.has(key) ? this.options.cache.get(key) : undefined;
      if (isCachedNodeResult(twin)) {
        held.set(id, twin);
        this.served(id, twin, result, events);
        continue;
      }
      const planned = plan.nodes.get(id) as PlannedNode;
      const inputs = gatherInputs(planned, held, listOutputs);
      events.nodeStarted(id);
      const started = performance.now();
      try {
        const output = await this.runNode(planned, inputs, workflow, signal, events);
        const ms = performance.now() - started;
        this.options.cache.set(key, output);
        held.set(id, output);
        result.ran.push(id);
        if (output.ui) result.ui[id] = output.ui;
        events.nodeFinished(id, ms, output.ui);
      } catch (error) {
        if (signal.aborted) return { ...result, status: "cancelled" };
        const problem = toProblem(error, id);
        events.nodeFailed(id, problem);
        return { ...result, status: "failed", error: problem };
      }
    }
    return result;
  }

  private served(id: string, hit: CachedNodeResult, result: ExecutionResult, events: ExecutionEvents): void {
    result.cached.push(id);
    if (hit.ui) result.ui[id] = hit.ui;
    events.nodeCached(id, hit.ui);
  }

  private check(workflow: Workflow, targets?: readonly string[]): ValidationReport {
    const catalog = this.options.registry.catalog(this.options.resources);
    return validateAndPlan(workflow, catalog.nodes, { targets, extraValidators: [this.hookValidator] });
  }

  /** The node types' own `validate` hooks, as a validator of the pure core. */
  private readonly hookValidator: ExtraValidator = ({ nodeId, node, schema, values }) => {
    const definition = this.options.registry.get(schema.type);
    if (!definition?.validate) return [];
    let messages: string[];
    try {
      messages = definition.validate(values);
    } catch (error) {
      messages = [`its check failed: ${error instanceof Error ? error.message : String(error)}`];
    }
    return messages.map((message) => ({
      code: "invalid_value",
      // Hooks may or may not end their sentence; end it exactly once.
      message: `${describeNode(nodeId, node, schema)}: ${/[.!?]$/.test(message) ? message : `${message}.`}`,
      nodeId,
    }));
  };

  private async cacheKeyExtras(plan: ExecutionPlan): Promise<Map<string, string>> {
    const extras = new Map<string, string>();
    for (const id of plan.order) {
      const planned = plan.nodes.get(id) as PlannedNode;
      const definition = this.definitionOf(planned);
      if (!definition.cacheKeyExtra) continue;
      try {
        extras.set(
          id,
          await definition.cacheKeyExtra(literalInputs(planned), {
            files: this.options.files,
            resources: this.options.resources,
          }),
        );
      } catch (error) {
        throw new NodeStepError(id, toProblem(error, id));
      }
    }
    return extras;
  }

  private definitionOf(planned: PlannedNode): NodeDefinition {
    const definition = this.options.registry.get(planned.node.type);
    // Validation has passed, so every planned node's type is registered.
    if (!definition)
      throw new InfixError({
        code: "unknown_node_type",
        message: `no node type ${planned.node.type}`,
        nodeId: planned.id,
      });
    return definition;
  }

  /** Runs one node, once or once per item when a list input fans it out. */
  private async runNode(
    planned: PlannedNode,
    held: Record<string, HeldInput>,
    workflow: Workflow,
    signal: AbortSignal,
    events: ExecutionEvents,
  ): Promise<CachedNodeResult> {
    const definition = this.definitionOf(planned);
    const schema = planned.schema as NodeSchema;
    const { runs, fansOut } = fanOutInputs(schema.inputs, held);
    let ui: UiResult | undefined;
    const results: NodeOutputs[] = [];
    for (let index = 0; index < runs.length; index++) {
      if (index > 0) signal.throwIfAborted();
      const ctx: RunContext = {
        nodeId: planned.id,
        signal,
        workflow,
        resources: this.options.resources,
        files: this.options.files,
        log: this.options.log ?? consoleLogger,
        // Fan-out: item i's step s of t reads as step i·t + s of n·t for the whole node.
        progress: (step, total) => events.progress(planned.id, index * total + step, runs.length * total),
        preview: (image) => events.preview(planned.id, image),
        show: (more) => {
          ui = mergeUi(ui, more);
        },
      };
      const outputs = await definition.run(runs[index], ctx);
      checkOutputs(planned, schema, outputs);
      results.push(outputs);
    }
    const outputs = fansOut ? joinFanOutOutputs(schema.outputs, results) : results[0];
    return ui ? { outputs, ui } : { outputs };
  }
}

/** A failure tied to one node before it ran (its cache-key material could not be read). */
class NodeStepError extends Error {
  constructor(
    readonly nodeId: string,
    readonly problem: Problem,
  ) {
    super(problem.message);
  }
}

/** Which outputs carry lists: declared `list`, or every output of a node that fans out. By node id. */
function listOutputsOf(plan: ExecutionPlan): Map<string, (output: string) => boolean> {
  const isList = new Map<string, (output: string) => boolean>();
  for (const id of plan.order) {
    const planned = plan.nodes.get(id) as PlannedNode;
    const schema = planned.schema as NodeSchema;
    const fansOut = schema.inputs.some((spec) => {
      const source = planned.inputs[spec.name];
      return !spec.acceptsList && source.kind === "link" && (isList.get(source.node)?.(source.output) ?? false);
    });
    const declared = new Set(schema.outputs.filter((output) => output.list).map((output) => output.name));
    isList.set(id, fansOut ? () => true : (output) => declared.has(output));
  }
  return isList;
}

function gatherInputs(
  planned: PlannedNode,
  held: ReadonlyMap<string, CachedNodeResult>,
  listOutputs: ReadonlyMap<string, (output: string) => boolean>,
): Record<string, HeldInput> {
  const inputs: Record<string, HeldInput> = {};
  for (const [name, source] of Object.entries(planned.inputs)) {
    if (source.kind === "value") inputs[name] = { value: source.value, isList: false };
    else if (source.kind === "link") {
      const upstream = held.get(source.node) as CachedNodeResult;
      inputs[name] = {
        value: upstream.outputs[source.output],
        isList: listOutputs.get(source.node)?.(source.output) ?? false,
      };
    } else inputs[name] = { value: undefined, isList: false };
  }
  return inputs;
}

/** The literal (typed or default) inputs, for `cacheKeyExtra`; linked inputs are not known yet. */
function literalInputs(planned: PlannedNode): NodeInputs {
  const values: Record<string, Literal> = {};
  for (const [name, source] of Object.entries(planned.inputs)) if (source.kind === "value") values[name] = source.value;
  return values;
}

/** A node must return every output it declares (a list output as an array). */
function checkOutputs(planned: PlannedNode, schema: NodeSchema, outputs: NodeOutputs): void {
  for (const spec of schema.outputs) {
    const value = (outputs ?? {})[spec.name];
    if (value === undefined || (spec.list && !Array.isArray(value))) {
      throw new InfixError({
        code: "node_contract",
        message: `${describeNode(planned.id, planned.node, schema)} returned no ${spec.list ? "list for" : "value for"} output '${spec.name}'; this is a bug in its node package.`,
        nodeId: planned.id,
        expected: spec.list ? `an array of ${spec.type}` : spec.type,
        found: value === undefined ? "nothing" : typeof value,
      });
    }
  }
}

import { canConnect } from "./connect.ts";
import type { NodeSchema } from "./node-schema.ts";
import { planExecution, schemaLookup, type ExecutionPlan, type PlannedNode, type SchemaLookup } from "./plan.ts";
import type { Problem } from "./problem.ts";
import { describeNode } from "./problem-codes.ts";
import { closestName } from "./suggest.ts";
import { checkWidgetValue, literalFitsType } from "./widget-value.ts";
import type { Literal, Workflow, WorkflowNode } from "./workflow.ts";

/**
 * Validation of a whole workflow against the node catalog, reporting every problem at once.
 * Pure: no Node or DOM imports; one validator serves drag-connect, paste, load and the server.
 */

/** A check beyond the schema (e.g. a node type's own `validate` hook); runs on nodes whose values passed. */
export type ExtraValidator = (args: {
  nodeId: string;
  node: WorkflowNode;
  schema: NodeSchema;
  /** Literal values (typed or default) by input name; linked and unset inputs are absent. */
  values: Record<string, Literal>;
}) => Problem[];

export interface ValidateOptions {
  /** Node ids to run up to; absent = every active output node. */
  targets?: readonly string[];
  extraValidators?: readonly ExtraValidator[];
  /**
   * `needed` (default): check what a run would execute, as the server does. `all`: check every
   * active node, as the editor does to mark problems anywhere on the canvas.
   */
  scope?: "needed" | "all";
}

export interface ValidationReport {
  problems: Problem[];
  plan: ExecutionPlan;
}

/**
 * Node schemas (with dynamic ENUM options already filled in) as a list, a map by type or a
 * lookup. A lookup cannot list the known types, so an unknown type gets no "did you mean".
 */
export type CatalogSchemas = readonly NodeSchema[] | ReadonlyMap<string, NodeSchema> | SchemaLookup;

/**
 * Every problem with `workflow`, all together; [] when it can run.
 *
 * @param catalog node schemas, as a list, map or lookup
 * @example validateWorkflow(workflow, catalog.nodes) // [{ code: "missing_input", nodeId: "3", input: "image", ... }]
 */
export function validateWorkflow(
  workflow: Workflow,
  catalog: CatalogSchemas,
  options: ValidateOptions = {},
): Problem[] {
  return validateAndPlan(workflow, catalog, options).problems;
}

/** As `validateWorkflow`, also returning the plan it built, so the executor plans once. */
export function validateAndPlan(
  workflow: Workflow,
  catalog: CatalogSchemas,
  options: ValidateOptions = {},
): ValidationReport {
  const lookup = schemaLookup(catalog);
  const typeNames = () => knownTypeNames(catalog);
  const problems: Problem[] = [];
  const scopeAll = options.scope === "all";
  let targets = options.targets;
  if (scopeAll) {
    targets = Object.keys(workflow.nodes).filter((id) => workflow.nodes[id].mode === "active");
  } else if (targets) {
    for (const id of targets) {
      const node = workflow.nodes[id];
      if (!node) {
        problems.push({
          code: "unknown_target",
          message: `There is no node #${id} to run; pick another node.`,
          nodeId: id,
        });
      } else if (node.mode !== "active") {
        problems.push({
          code: "inactive_target",
          message: `${describeNode(id, node, lookup(node.type))} is ${node.mode}, so it cannot be run; set it active first.`,
          nodeId: id,
          found: node.mode,
        });
      }
    }
  }
  const plan = planExecution(workflow, lookup, targets);
  if (plan.targets.length === 0 && problems.length === 0 && !scopeAll) {
    problems.push({
      code: "no_outputs",
      message: "Nothing to run: the workflow has no active output node. Add one (e.g. Save Image) or un-mute it.",
    });
  }
  for (const cycle of plan.cycles) {
    const path = [...cycle, cycle[0]].map((id) => `#${id}`).join(" → ");
    for (const id of cycle) {
      problems.push({
        code: "cycle",
        message: `${describeNode(id, workflow.nodes[id], lookup(workflow.nodes[id].type))} is part of a cycle (${path}); remove one of its links.`,
        nodeId: id,
        found: cycle.join(","),
      });
    }
  }
  for (const id of Object.keys(workflow.nodes)) {
    const planned = plan.nodes.get(id);
    if (planned) problems.push(...checkNode(planned, lookup, workflow, options.extraValidators ?? [], typeNames));
  }
  return { problems, plan };
}

/** The node types a catalog lists (none for a lookup, which cannot list them). */
function knownTypeNames(catalog: CatalogSchemas): readonly string[] {
  if (typeof catalog === "function") return [];
  if (catalog instanceof Map) return [...catalog.keys()];
  return (catalog as readonly NodeSchema[]).map((schema) => schema.type);
}

/** A node whose type the catalog lacks, with the known type it most likely meant (a typo, a case slip). */
function unknownNodeType(id: string, node: WorkflowNode, knownTypes: readonly string[]): Problem {
  const suggestion = closestName(node.type, knownTypes);
  const unknown = `${describeNode(id, node)} has type '${node.type}', which this server does not know`;
  return {
    code: "unknown_node_type",
    message:
      suggestion === undefined
        ? `${unknown}; install its node package or delete it.`
        : `${unknown}; did you mean '${suggestion}'? Otherwise install its node package or delete it.`,
    nodeId: id,
    expected: "a node type this server provides",
    found: node.type,
    ...(suggestion === undefined ? {} : { suggestion }),
  };
}

function checkNode(
  planned: PlannedNode,
  lookup: SchemaLookup,
  workflow: Workflow,
  extraValidators: readonly ExtraValidator[],
  typeNames: () => readonly string[],
): Problem[] {
  const { id, node, schema } = planned;
  if (!schema) return [unknownNodeType(id, node, typeNames())];
  const problems: Problem[] = [];
  const who = describeNode(id, node, schema);
  const known = new Set(schema.inputs.map((input) => input.name));
  for (const name of Object.keys(node.inputs)) {
    if (!known.has(name)) {
      problems.push({
        code: "unknown_input",
        message: `${who} has no input '${name}' (perhaps from an older version of the node); remove it.`,
        nodeId: id,
        input: name,
        expected: [...known].join(", "),
        found: name,
      });
    }
  }
  const values: Record<string, Literal> = {};
  for (const spec of schema.inputs) {
    const source = planned.inputs[spec.name];
    const where = { nodeId: id, input: spec.name };
    switch (source.kind) {
      case "broken":
        problems.push(source.problem);
        break;
      case "unset":
        if (spec.optional) break;
        if (source.mutedNode) {
          const muted = workflow.nodes[source.mutedNode];
          problems.push({
            code: "link_to_muted_node",
            message: `Input '${spec.name}' of ${who} comes from ${describeNode(source.mutedNode, muted, lookup(muted.type))}, which is muted; un-mute it or link another node.`,
            ...where,
            expected: spec.type,
            found: source.mutedNode,
          });
        } else {
          problems.push({
            code: "missing_input",
            message: `Input '${spec.name}' of ${who} needs a ${spec.type}; link one.`,
            ...where,
            expected: spec.type,
          });
        }
        break;
      case "link": {
        const sourceSchema = lookup(workflow.nodes[source.node].type);
        if (!sourceSchema) break; // reported on the source node itself
        const validity = canConnect(sourceSchema, source.output, schema, spec.name);
        if (!validity.ok) {
          const output = sourceSchema.outputs.find((candidate) => candidate.name === source.output);
          problems.push({
            code: "type_mismatch",
            message: `${validity.reason} of ${who}; link a ${spec.type} output instead.`,
            ...where,
            expected: spec.type,
            found: output?.type ?? source.output,
          });
        }
        break;
      }
      case "value": {
        if (!spec.widget) {
          if (literalFitsType(spec.type, source.value)) values[spec.name] = source.value;
          else {
            problems.push({
              code: "wrong_value_type",
              message: `Input '${spec.name}' of ${who} takes a link from a ${spec.type} output, not a typed value; link one.`,
              ...where,
              expected: `a ${spec.type} link`,
              found: JSON.stringify(source.value),
            });
          }
          break;
        }
        const check = checkWidgetValue(spec.widget, source.value);
        if (check.ok) {
          values[spec.name] = source.value;
          break;
        }
        problems.push({
          code: check.code,
          message: widgetMessage(check.code, spec.name, who, check.expected, check.found),
          ...where,
          expected: check.expected,
          found: check.found,
        });
        break;
      }
    }
  }
  if (problems.length === 0) {
    for (const validator of extraValidators) problems.push(...validator({ nodeId: id, node, schema, values }));
  }
  return problems;
}

function widgetMessage(code: string, input: string, who: string, expected: string, found: string): string {
  switch (code) {
    case "out_of_range":
      return `Input '${input}' of ${who} must be ${expected}, got ${found}; change it.`;
    case "not_an_option":
      return `Input '${input}' of ${who} is '${found}', which is not one of: ${expected}; pick one of those.`;
    case "empty_string":
      return `Input '${input}' of ${who} is empty; enter ${expected}.`;
    default:
      return `Input '${input}' of ${who} must be ${expected}, got ${found}; change it.`;
  }
}

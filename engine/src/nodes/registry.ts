import { z } from "zod";
import { NodeSchemaSchema, type NodeCatalog, type NodeSchema, type SocketTypeInfo } from "../graph/node-schema.ts";
import { InfixError } from "../graph/problem.ts";
import type { NodePackageInfo, PackageResource, ResourceKindInfo } from "../protocol/index.ts";
import type {
  EnumChoices,
  NodeDefinition,
  NodePackage,
  OfferedResource,
  ResourceKind,
  Resources,
  UploadKind,
} from "./definition.ts";

/**
 * The node types a server knows: a list of packages, checked once at start-up. Duplicate
 * types and malformed schemas stop the server with a message naming the package and node.
 */
export class NodeRegistry {
  private readonly definitions = new Map<string, NodeDefinition>();
  private readonly socketTypeList: SocketTypeInfo[] = [];
  private readonly uploadKindList: UploadKind[] = [];
  private readonly packages: readonly NodePackage[];

  /**
   * @throws InfixError `duplicate_node_type`, `invalid_node_schema`, `invalid_dynamic_options`,
   * `invalid_upload_kind`, `duplicate_upload_kind` or `duplicate_resource_kind`
   * @example const registry = new NodeRegistry([testNodePackage, blipDiffusionPackage]);
   */
  constructor(packages: readonly NodePackage[]) {
    this.packages = packages;
    const owner = new Map<string, string>();
    const socketTypes = new Map<string, SocketTypeInfo>();
    const suffixOwner = new Map<string, string>();
    const kindOwner = new Map<string, string>();
    for (const pkg of packages) {
      for (const { kind } of pkg.resourceKinds ?? []) {
        const previous = kindOwner.get(kind);
        if (previous !== undefined) {
          throw new InfixError({
            code: "duplicate_resource_kind",
            message: `Resource kind ${kind} is declared by both ${previous} and ${pkg.name}; only one package may offer it.`,
            found: kind,
          });
        }
        kindOwner.set(kind, pkg.name);
      }
      for (const definition of pkg.nodes) {
        const type = definition.schema?.type ?? "(no type)";
        const parsed = NodeSchemaSchema.safeParse(definition.schema);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new InfixError({
            code: "invalid_node_schema",
            message: `Node type ${type} in package ${pkg.name} has an invalid schema at ${issue.path.join(".") || "(root)"}: ${issue.message}.`,
            found: type,
          });
        }
        checkSchemaShape(definition.schema, pkg.name);
        const previous = owner.get(type);
        if (previous !== undefined) {
          throw new InfixError({
            code: "duplicate_node_type",
            message: `Node type ${type} is defined by both ${previous} and ${pkg.name}; rename one.`,
            found: type,
          });
        }
        for (const name of Object.keys(definition.dynamicOptions ?? {})) {
          const input = definition.schema.inputs.find((candidate) => candidate.name === name);
          if (input?.widget?.kind !== "ENUM") {
            throw new InfixError({
              code: "invalid_dynamic_options",
              message: `Node type ${type} in package ${pkg.name} gives dynamic options for '${name}', which is not an ENUM input.`,
              found: name,
            });
          }
        }
        owner.set(type, pkg.name);
        this.definitions.set(type, definition);
      }
      for (const kind of pkg.uploadKinds ?? []) {
        checkUploadKind(kind, pkg.name);
        const previous = suffixOwner.get(kind.suffix);
        if (previous !== undefined) {
          throw new InfixError({
            code: "duplicate_upload_kind",
            message: `Upload suffix ${kind.suffix} is declared by both ${previous} and ${pkg.name}; only one package may read it.`,
            found: kind.suffix,
          });
        }
        suffixOwner.set(kind.suffix, pkg.name);
        this.uploadKindList.push(kind);
      }
      for (const socketType of pkg.socketTypes)
        if (!socketTypes.has(socketType.name)) socketTypes.set(socketType.name, socketType);
    }
    this.socketTypeList = [...socketTypes.values()];
  }

  /** The definition of `type`, or undefined when no package provides it. */
  get(type: string): NodeDefinition | undefined {
    return this.definitions.get(type);
  }

  /** Every node type, in package order. */
  types(): string[] {
    return [...this.definitions.keys()];
  }

  /** The socket types the packages declare, each name once (the first package's wins). */
  socketTypes(): readonly SocketTypeInfo[] {
    return this.socketTypeList;
  }

  /** The upload kinds the packages declare, in package order; the server accepts these besides its own. */
  uploadKinds(): readonly UploadKind[] {
    return this.uploadKindList;
  }

  /**
   * The catalog GET /api/nodes serves, with ENUM options known only at run time (installed
   * packs, ...) filled in from `resources`. A failing option source leaves that list empty,
   * so validation then tells the user no option is available instead of crashing the server.
   */
  catalog(resources: Resources): NodeCatalog {
    const nodes: NodeSchema[] = [];
    for (const definition of this.definitions.values()) nodes.push(withDynamicOptions(definition, resources));
    return { nodes, socketTypes: [...this.socketTypeList] };
  }

  /**
   * What each package offers besides node types (GET /api/packages): its resource kinds with
   * their details' JSON Schema, its resources and notices. A resource of an undeclared kind or
   * with details its kind's schema refuses is listed with `error`; a package whose `describe`
   * fails is listed with a warning notice. Packages that offer nothing are left out.
   */
  async packageInfo(resources: Resources): Promise<NodePackageInfo[]> {
    const infos: NodePackageInfo[] = [];
    for (const pkg of this.packages) {
      if (!pkg.resourceKinds?.length && !pkg.describe) continue;
      const kinds = new Map((pkg.resourceKinds ?? []).map((kind) => [kind.kind, kind]));
      const info: NodePackageInfo = {
        name: pkg.name,
        kinds: [...kinds.values()].map(kindInfo),
        resources: [],
        notices: [],
      };
      try {
        const state = await pkg.describe?.(resources);
        info.resources = (state?.resources ?? []).map((resource) => checkedResource(resource, kinds, pkg.name));
        info.notices = [...(state?.notices ?? [])];
      } catch (error) {
        info.notices = [
          {
            id: `${pkg.name}:describe-failed`,
            level: "warning",
            text: `The ${pkg.name} package could not list what it offers: ${(error as Error).message}`,
          },
        ];
      }
      infos.push(info);
    }
    return infos;
  }
}

const kindInfoCache = new WeakMap<ResourceKind, ResourceKindInfo>();

/** A kind as the editor sees it; its details' zod schema becomes JSON Schema (once per kind). */
function kindInfo(kind: ResourceKind): ResourceKindInfo {
  let info = kindInfoCache.get(kind);
  if (!info) {
    info = {
      kind: kind.kind,
      title: kind.title,
      ...(kind.help !== undefined && { help: kind.help }),
      ...(kind.details && { detailsSchema: z.toJSONSchema(kind.details, { io: "output" }) as Record<string, unknown> }),
    };
    kindInfoCache.set(kind, info);
  }
  return info;
}

/** The resource with its details checked against its kind's schema; what is wrong goes into `error`. */
function checkedResource(
  resource: OfferedResource,
  kinds: ReadonlyMap<string, ResourceKind>,
  packageName: string,
): PackageResource {
  const kind = kinds.get(resource.kind);
  const details = resource.details ?? {};
  let problem: string | undefined;
  let checked: Record<string, unknown> = details;
  if (!kind) {
    problem = `package ${packageName} lists it under kind '${resource.kind}', which it does not declare`;
  } else if (kind.details) {
    const parsed = kind.details.safeParse(details);
    if (parsed.success) checked = parsed.data;
    else {
      const issue = parsed.error.issues[0];
      problem = `its details are malformed at ${issue.path.join(".") || "(root)"}: ${issue.message}`;
    }
  } else if (Object.keys(details).length) {
    problem = `kind '${resource.kind}' declares no details, yet it has some`;
  }
  if (problem === undefined) return { ...resource, details: checked };
  // The package's own error (the resource failed to load) is the one to show first.
  return { ...resource, details: checked, error: resource.error ? `${resource.error}; ${problem}` : problem };
}

function withDynamicOptions(definition: NodeDefinition, resources: Resources): NodeSchema {
  const dynamic = definition.dynamicOptions;
  if (!dynamic) return definition.schema;
  return {
    ...definition.schema,
    inputs: definition.schema.inputs.map((input) => {
      const source = dynamic[input.name];
      if (!source || input.widget?.kind !== "ENUM") return input;
      let choices: string[] | EnumChoices;
      try {
        choices = source(resources);
      } catch {
        choices = [];
      }
      if (Array.isArray(choices)) return { ...input, widget: { ...input.widget, options: choices } };
      const { options, labels } = choices as EnumChoices;
      return { ...input, widget: { ...input.widget, options, ...(labels && { labels }) } };
    }),
  };
}

/** Rules zod's per-field schema cannot express: unique socket names. */
function checkSchemaShape(schema: NodeSchema, packageName: string): void {
  for (const [kind, sockets] of [
    ["input", schema.inputs],
    ["output", schema.outputs],
  ] as const) {
    const names = new Set<string>();
    for (const socket of sockets) {
      if (names.has(socket.name)) {
        throw new InfixError({
          code: "invalid_node_schema",
          message: `Node type ${schema.type} in package ${packageName} declares ${kind} '${socket.name}' twice.`,
          found: socket.name,
        });
      }
      names.add(socket.name);
    }
  }
}

/**
 * A suffix the upload route can match and keep: a leading dot, then lowercase dot-separated
 * parts of letters and digits (`.note.txt`), since stored names keep only such characters.
 */
const UPLOAD_SUFFIX = /^(\.[a-z0-9]+)+$/;

/** Upload kinds are matched by suffix against names made safe by the file store, so odd suffixes could never match. */
function checkUploadKind(kind: UploadKind, packageName: string): void {
  if (!UPLOAD_SUFFIX.test(kind.suffix)) {
    throw new InfixError({
      code: "invalid_upload_kind",
      message: `Upload kind ${kind.name} in package ${packageName} has suffix '${kind.suffix}'; write it lowercase with a leading dot, like '.note.txt'.`,
      found: kind.suffix,
    });
  }
}

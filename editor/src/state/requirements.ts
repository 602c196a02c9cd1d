import type { Workflow } from "@infix/graph";
import type { NodePackageInfo } from "@infix/protocol";

/**
 * One sentence per resource kind the workflow requires that the server lacks, e.g.
 * "Missing model pack(s): real. <how to install>". A resource matches by id or title.
 */
export function missingRequirements(workflow: Workflow, packages: readonly NodePackageInfo[]): string[] {
  const offered = new Set(
    packages.flatMap((p) => p.resources.flatMap((r) => [`${r.kind}\0${r.id}`, `${r.kind}\0${r.title}`])),
  );
  const kinds = new Map(packages.flatMap((p) => p.kinds.map((kind) => [kind.kind, kind] as const)));
  const missing = new Map<string, string[]>();
  for (const requirement of workflow.requires) {
    if (offered.has(`${requirement.kind}\0${requirement.id}`)) continue;
    missing.set(requirement.kind, [...(missing.get(requirement.kind) ?? []), requirement.id]);
  }
  return [...missing].map(([kind, ids]) => {
    const info = kinds.get(kind);
    return `Missing ${info?.title ?? kind}(s): ${ids.join(", ")}. ${info?.help ?? ""}`.trim();
  });
}

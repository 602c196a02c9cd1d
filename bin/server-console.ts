import type { FileFolders } from "@infix/engine/host";
import type { Job, NodePackageInfo } from "@infix/protocol";

/**
 * What `infix serve` prints on its console: where things are at start, then one line per
 * finished job. Pure formatting, tested beside it.
 */

/**
 * The start banner: folders, the packs (every node package's resources), then the URL last
 * (what the user opens next).
 */
export function startBanner(info: {
  url: string;
  dataDir: string;
  folders: FileFolders;
  modelsDir?: string;
  packages: readonly NodePackageInfo[];
  testNodes?: boolean;
}): string[] {
  const models = info.modelsDir ?? "none (give --models <folder> or set INFIX_MODELS for real weights)";
  const resources = info.packages.flatMap((pkg) => pkg.resources);
  const packs = info.testNodes
    ? ["(test nodes only: no model packs)"]
    : resources.length === 0
      ? ["none"]
      : resources.map((resource) =>
          resource.error
            ? `${resource.id}: not usable: ${resource.error}`
            : resource.description !== undefined
              ? `${resource.id} (${resource.description})`
              : `${resource.id} (${resource.title}${resource.bytes !== undefined ? `, ${formatBytes(resource.bytes)}` : ""})`,
        );
  return [
    `data:   ${info.dataDir}`,
    `input:  ${info.folders.input}`,
    `output: ${info.folders.output}`,
    `models: ${models}`,
    `packs:  ${packs[0]}`,
    ...packs.slice(1).map((line) => `        ${line}`),
    `Infix is running at ${info.url}`,
  ];
}

/**
 * One line for a finished job: id, status, time, node counts and what it wrote, e.g.
 * `job 4f1c2a succeeded in 3.4 s (6 ran, 3 cached): /data/output/infix_00001.png`.
 */
export function jobLine(job: Job, folders: FileFolders): string {
  const seconds =
    job.startedAt !== undefined && job.finishedAt !== undefined ? (job.finishedAt - job.startedAt) / 1000 : undefined;
  const time =
    seconds === undefined
      ? ""
      : job.status === "cancelled"
        ? ` after ${seconds.toFixed(1)} s`
        : ` in ${seconds.toFixed(1)} s`;
  const states = Object.values(job.nodes);
  const ran = states.filter((state) => state.status === "done").length;
  const cached = states.filter((state) => state.status === "cached").length;
  const label = job.label ? ` "${job.label}"` : "";
  const head = `job ${job.id}${label} ${job.status}${time} (${ran} ran, ${cached} cached)`;
  if (job.status === "failed") {
    const where = job.error?.nodeId ? `node ${job.error.nodeId}: ` : "";
    return `${head}: ${where}${job.error?.message ?? "no details"}`;
  }
  const outputs = states.flatMap((state) =>
    (state.status === "done" ? (state.ui?.images ?? []) : []).map((image) => `${folders[image.folder]}/${image.name}`),
  );
  return outputs.length > 0 ? `${head}: ${outputs.join(", ")}` : head;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}

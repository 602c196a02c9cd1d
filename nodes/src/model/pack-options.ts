import type { EnumChoices } from "@infix/engine";
import type { PackRegistry } from "../pack/registry.ts";
import { TINY_PACK_ID } from "../pack/registry.ts";

/**
 * The pack ids offered by Load Model Pack's ENUM. `dynamicOptions` must answer
 * synchronously while the registry lists packs asynchronously (it loads each), so the
 * last listing is remembered per registry and refreshed in the background on each call.
 */
const known = new WeakMap<PackRegistry, string[]>();
const notImported = new WeakMap<PackRegistry, string[]>();
const knownControlnets = new WeakMap<PackRegistry, string[]>();
const refreshing = new WeakSet<PackRegistry>();

/** Lists the registry's usable packs now and remembers them; the embedded tiny pack first. */
export async function refreshPackIds(registry: PackRegistry): Promise<string[]> {
  const listings = await registry.list();
  const usable = listings.filter((pack) => !pack.error);
  const ids = usable.map((pack) => pack.id);
  known.set(registry, ids);
  notImported.set(
    registry,
    usable.filter((pack) => pack.needsImport).map((pack) => pack.id),
  );
  knownControlnets.set(registry, [...new Set(usable.flatMap((pack) => pack.controlnets))]);
  return ids;
}

/** The remembered pack ids (the tiny pack until a listing arrives); starts a refresh. */
export function knownPackIds(registry: PackRegistry): string[] {
  if (!refreshing.has(registry)) {
    refreshing.add(registry);
    refreshPackIds(registry)
      .catch(() => undefined)
      .finally(() => refreshing.delete(registry));
  }
  return known.get(registry) ?? [TINY_PACK_ID];
}

/**
 * Load Model Pack's choices: the known pack ids, a diffusers folder not imported yet labelled
 * as such (it is imported, with progress, the first time a workflow runs it).
 */
export function knownPackChoices(registry: PackRegistry): EnumChoices {
  const options = knownPackIds(registry);
  const pending = notImported.get(registry) ?? [];
  if (pending.length === 0) return { options };
  return {
    options,
    labels: Object.fromEntries(pending.map((id) => [id, `${id} (not imported yet: imported on first run)`])),
  };
}

/**
 * The ControlNet names the usable packs' manifests list (each once), for ControlNet Apply's
 * ENUM; the embedded pack's "canny" until a listing arrives. Starts a refresh as knownPackIds.
 */
export function knownControlnetNames(registry: PackRegistry): string[] {
  knownPackIds(registry);
  return knownControlnets.get(registry) ?? [TINY_CONTROLNET];
}

/** The ControlNet the embedded tiny pack carries. */
export const TINY_CONTROLNET = "canny";

import type { ResourceKey, Resources } from "@infix/engine";

/** Resources from a plain map, for runs without the BLIP-Diffusion nodes (test nodes need none). */
export function mapResources(entries: [ResourceKey<unknown>, unknown][] = []): Resources {
  const values = new Map(entries.map(([key, value]) => [key.id, value]));
  return {
    get<T>(key: ResourceKey<T>): T {
      if (!values.has(key.id)) throw new Error(`no resource "${key.id}" is configured`);
      return values.get(key.id) as T;
    },
    has: (key) => values.has(key.id),
  };
}

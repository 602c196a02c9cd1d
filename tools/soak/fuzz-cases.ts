import { headerOnlyPng } from "@infix/engine/testing";

/**
 * Hostile requests for the soak: broken and oversized JSON, deep nesting, reserved names,
 * traversal strings, lying uploads, decompression bombs, foreign origins and missing tokens.
 * Every one must get a 4xx (or a 2xx for the harmless ones), never a 5xx or an outside file.
 */
export interface FuzzCase {
  kind: "fuzz" | "traversal";
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** A small seeded generator, so a failing soak can be replayed with the same cases. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/** The soak's trivial job: a constant shown, so it runs in a millisecond or two. */
export function trivialWorkflow(value: number): Record<string, unknown> {
  return {
    format: "infix-workflow",
    version: 1,
    nodes: {
      a: { type: "IntConstant", inputs: { value } },
      b: { type: "ShowValue", inputs: { value: { node: "a", output: "value" } } },
    },
  };
}

/** A job that runs ~100 ms with progress and a preview, so there is something to cancel. */
export function slowWorkflow(steps: number): Record<string, unknown> {
  return {
    format: "infix-workflow",
    version: 1,
    nodes: {
      a: { type: "SlowCount", inputs: { steps, step_ms: 20 } },
      b: { type: "ShowValue", inputs: { value: { node: "a", output: "count" } } },
    },
  };
}

/** Traversal strings for /api/files/input/<here>, aimed at `<data>/../outside/file.txt`. */
export function traversalPaths(outsideFile: string): string[] {
  const plain = "../../outside/file.txt";
  return [
    plain,
    "..%2f..%2foutside%2ffile.txt",
    "%2e%2e/%2e%2e/outside/file.txt",
    "%2e%2e%2f%2e%2e%2foutside%2ffile.txt",
    "..%252f..%252foutside%252ffile.txt",
    "....//....//outside/file.txt",
    "..\\..\\outside\\file.txt",
    "..%5c..%5coutside%5cfile.txt",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/outside/file.txt",
    "..%00/../outside/file.txt",
    "./../.././../outside/file.txt",
    encodeURIComponent(outsideFile),
    `%2F${outsideFile.slice(1).split("/").join("%2F")}`,
    "link-out.txt",
    "link-dir/file.txt",
    "hard.txt",
    "race/../../../outside/file.txt",
    "%2e%2e",
    "..;/..;/outside/file.txt",
  ];
}

const RESERVED = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"];

/** The next hostile request. `token` is the server's write token (some cases leave it out on purpose). */
export function nextFuzzCase(random: () => number, token: string, outsideFile: string): FuzzCase {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const json = (body: unknown) => JSON.stringify(body);
  const write = { "x-infix-token": token, "content-type": "application/json" };
  const cases: (() => FuzzCase)[] = [
    () => {
      const depth = pick([70, 500, 5000, 20000]);
      const body = json({ workflow: { ...trivialWorkflow(1), editor: { deep: 0 } } }).replace(
        '"deep":0',
        `"deep":${"[".repeat(depth)}${"]".repeat(depth)}`,
      );
      return { kind: "fuzz", method: "POST", path: "/api/jobs", headers: write, body };
    },
    () => {
      const name = pick(RESERVED);
      const where =
        random() < 0.5
          ? `{"${name}":{"type":"IntConstant","inputs":{}}}`
          : `{"a":{"type":"IntConstant","inputs":{"${name}":1}}}`;
      const body = `{"workflow":{"format":"infix-workflow","version":1,"nodes":${where}}}`;
      return { kind: "fuzz", method: "POST", path: "/api/jobs", headers: write, body };
    },
    () => {
      const workflow = trivialWorkflow(1) as { nodes: Record<string, { inputs: Record<string, unknown> }> };
      const mutations: (() => void)[] = [
        () => (workflow.nodes.a.inputs.value = pick([1e308, -1e308, "x", null, true, [], {}, 2 ** 53])),
        () => delete (workflow as Record<string, unknown>).format,
        () =>
          (workflow.nodes.b.inputs.value = { node: pick(["zz", "", "a", "__proto__"]), output: pick(["", "nope"]) }),
        () => ((workflow as Record<string, unknown>).nodes = pick([[], "x", null, 1])),
        () => (workflow.nodes.a = pick([null, [], "IntConstant"]) as never),
        () => ((workflow.nodes.a as unknown as Record<string, unknown>).type = pick(["", "Nope", "x".repeat(5000)])),
      ];
      pick(mutations)();
      return { kind: "fuzz", method: "POST", path: "/api/jobs", headers: write, body: json({ workflow }) };
    },
    () => ({
      kind: "fuzz",
      method: "POST",
      path: "/api/jobs",
      headers: write,
      body: pick(["{", "[]", "null", '{"workflow":', "\u0000", "{}"]),
    }),
    () => ({
      kind: "fuzz",
      method: "POST",
      path: "/api/jobs",
      headers: write,
      body: json({ workflow: { ...trivialWorkflow(1), name: "n".repeat(300_000) } }),
    }),
    () => {
      const nodes: Record<string, unknown> = {};
      for (let i = 0; i < 2500; i++) nodes[`n${i}`] = { type: "IntConstant", inputs: { value: i } };
      return {
        kind: "fuzz",
        method: "POST",
        path: "/api/jobs",
        headers: write,
        body: json({ workflow: { format: "infix-workflow", version: 1, nodes } }),
      };
    },
    () => ({
      kind: "fuzz",
      method: "PUT",
      path: `/api/workflows/${encodeURIComponent(pick(["..", "../x", "a/b", "__proto__", "constructor", "x".repeat(300), "ok name", ".hidden", "%00"]))}`,
      headers: write,
      body: json(trivialWorkflow(2)),
    }),
    () => ({
      kind: "fuzz",
      method: pick(["GET", "DELETE", "POST"]),
      path: `/api/jobs/${pick(RESERVED)}${pick(["", "/cancel", "/front"])}`,
      headers: write,
    }),
    () => ({
      kind: "fuzz",
      method: "GET",
      path: `/api/${pick(["examples", "workflows"])}/${encodeURIComponent(pick([...RESERVED, "..", "x".repeat(500)]))}`,
    }),
    () => ({ kind: "traversal", method: "GET", path: `/api/files/input/${pick(traversalPaths(outsideFile))}` }),
    () => ({
      kind: "traversal",
      method: "GET",
      path: `/api/files/${pick(["output", "temp", "..", "%2e%2e"])}/${pick(traversalPaths(outsideFile))}`,
    }),
    () => ({
      kind: "fuzz",
      method: "POST",
      path: `/api/uploads?name=${pick(["bomb.png", "x.png"])}`,
      headers: { "x-infix-token": token },
      body: headerOnlyPng(pick([30000, 8192, 20000]), pick([30000, 8192])),
    }),
    () => ({
      kind: "fuzz",
      method: "POST",
      path: `/api/uploads?name=${encodeURIComponent(pick(["a.png", "../a.png", "link-dir/a.png", "x.html", "a.svg", "__proto__.png", ""]))}`,
      headers: { "x-infix-token": token },
      body: pick([
        new Uint8Array(64).map(() => Math.floor(random() * 256)),
        "<html><script>alert(1)</script>",
        "<svg onload=alert(1)>",
        "",
      ]),
    }),
    () => ({
      kind: "fuzz",
      method: "POST",
      path: "/api/jobs",
      headers: { "content-type": "application/json" },
      body: json({ workflow: trivialWorkflow(3) }),
    }),
    () => ({
      kind: "fuzz",
      method: "POST",
      path: "/api/jobs",
      headers: { ...write, origin: "http://evil.example" },
      body: json({ workflow: trivialWorkflow(4) }),
    }),
    () => ({ kind: "fuzz", method: "GET", path: "/api/config", headers: { host: "evil.example" } }),
    () => ({
      kind: "fuzz",
      method: pick(["PATCH", "OPTIONS", "GET"]),
      path: pick(["/api/nope", "/api", "/api/jobs?x[__proto__]=1", "/api/cache", "/api/packages"]),
    }),
    () => ({
      kind: "fuzz",
      method: "POST",
      path: "/api/workflow-from-png",
      headers: { "x-infix-token": token },
      body: pick([headerOnlyPng(100, 100), "not a png"]),
    }),
  ];
  return pick(cases)();
}

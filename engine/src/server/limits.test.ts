import { describe, expect, it } from "vitest";
import { checkWorkflowLimits, DEFAULT_LIMITS, scanJsonShape } from "./limits.ts";

const scan = (text: string, limits: Partial<typeof DEFAULT_LIMITS> = {}) =>
  scanJsonShape(Buffer.from(text), { ...DEFAULT_LIMITS, ...limits });

describe("scanJsonShape", () => {
  it("passes ordinary JSON and leaves malformed JSON to JSON.parse", () => {
    expect(scan('{"a":[1,2,{"b":"x"}],"c":"}]["}')).toBeNull();
    expect(scan('{"a":"unterminated')).toBeNull();
  });
  it("counts nesting, ignoring brackets inside strings and escaped quotes", () => {
    expect(scan("[[[]]]", { jsonDepth: 3 })).toBeNull();
    expect(scan("[[[[]]]]", { jsonDepth: 3 })).toMatchObject({
      status: 400,
      message: expect.stringMatching(/deeper than 3/),
    });
    expect(scan('["\\"[[[[[[", "\\\\"]', { jsonDepth: 1 })).toBeNull();
  });
  it("measures strings between unescaped quotes", () => {
    expect(scan(`["${"x".repeat(10)}"]`, { stringLength: 10 })).toBeNull();
    expect(scan(`["${"x".repeat(11)}"]`, { stringLength: 10 })).toMatchObject({ status: 413 });
    expect(scan(`["${'\\"'.repeat(6)}"]`, { stringLength: 10 })).toMatchObject({ status: 413 });
  });
  it("counts entries per container, not in total", () => {
    expect(scan("[[1,2,3],[1,2,3]]", { containerEntries: 3 })).toBeNull();
    expect(scan("[1,2,3,4]", { containerEntries: 3 })).toMatchObject({ status: 413 });
  });
});

describe("checkWorkflowLimits", () => {
  it("refuses reserved names as node ids, input names, link targets and layout keys", () => {
    const parse = (text: string) => checkWorkflowLimits(JSON.parse(text), DEFAULT_LIMITS);
    expect(parse('{"nodes":{"__proto__":{"inputs":{}}}}')).toMatch(/'__proto__' cannot be a node id/);
    expect(parse('{"nodes":{"a":{"inputs":{"constructor":1}}}}')).toMatch(/input name of node 'a'/);
    expect(parse('{"nodes":{"a":{"inputs":{"x":{"node":"prototype","output":"y"}}}}}')).toMatch(/linked node id/);
    expect(parse('{"nodes":{},"editor":{"nodes":{"__proto__":{}}}}')).toMatch(/editor node id/);
    expect(parse('{"nodes":{"a":{"inputs":{"toString":1}}}}')).toBeNull();
  });
});

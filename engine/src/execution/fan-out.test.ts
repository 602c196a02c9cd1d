import { describe, expect, it } from "vitest";
import { fanOutInputs, joinFanOutOutputs, mergeUi } from "./fan-out.ts";

describe("fanOutInputs", () => {
  const specs = [
    { name: "a", type: "INT" },
    { name: "b", type: "INT" },
    { name: "all", type: "INT", acceptsList: true },
  ];

  it("runs once with the values as they are when no list arrives", () => {
    expect(
      fanOutInputs(specs, {
        a: { value: 1, isList: false },
        b: { value: 2, isList: false },
        all: { value: 3, isList: false },
      }),
    ).toEqual({
      runs: [{ a: 1, b: 2, all: [3] }],
      fansOut: false,
    });
  });

  it("zips lists, repeating the shorter's last item, and hands list-accepting inputs the whole list", () => {
    const { runs, fansOut } = fanOutInputs(specs, {
      a: { value: [1, 2, 3], isList: true },
      b: { value: [10], isList: true },
      all: { value: [7, 8], isList: true },
    });
    expect(fansOut).toBe(true);
    expect(runs).toEqual([
      { a: 1, b: 10, all: [7, 8] },
      { a: 2, b: 10, all: [7, 8] },
      { a: 3, b: 10, all: [7, 8] },
    ]);
  });

  it("makes no runs when a mapped list is empty", () => {
    expect(fanOutInputs(specs, { a: { value: [], isList: true }, b: { value: [1, 2], isList: true } }).runs).toEqual(
      [],
    );
  });
});

describe("joinFanOutOutputs", () => {
  it("collects plain outputs into lists and concatenates list outputs", () => {
    const specs = [
      { name: "x", type: "INT" },
      { name: "xs", type: "INT", list: true },
    ];
    expect(
      joinFanOutOutputs(specs, [
        { x: 1, xs: [1, 2] },
        { x: 2, xs: [3] },
      ]),
    ).toEqual({ x: [1, 2], xs: [1, 2, 3] });
  });
});

describe("mergeUi", () => {
  it("appends images and text", () => {
    const image = { folder: "output" as const, name: "a.png", width: 1, height: 1 };
    expect(mergeUi(mergeUi(undefined, { text: ["a"] }), { text: ["b"], images: [image] })).toEqual({
      text: ["a", "b"],
      images: [image],
    });
  });
});

import { describe, expect, it } from "vitest";
import { bannerDismissed, dismissBanner, helpParts } from "./banner.ts";

describe("the notice banners", () => {
  it("shows the command to copy as code and URLs as links", () => {
    expect(helpParts("Noise: run `infix pack pull Salesforce/blipdiffusion` (see https://example.org/x).")).toEqual([
      { kind: "text", text: "Noise: run " },
      { kind: "code", text: "infix pack pull Salesforce/blipdiffusion" },
      { kind: "text", text: " (see " },
      { kind: "link", text: "https://example.org/x)." },
    ]);
  });

  it("remembers a dismissal, and shows again when the server's advice changes", () => {
    const items = new Map<string, string>();
    const storage = {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
    };
    const a = { id: "pkg:a", text: "a" };
    expect(bannerDismissed(storage, a)).toBe(false);
    dismissBanner(storage, a);
    expect(bannerDismissed(storage, a)).toBe(true);
    expect(bannerDismissed(storage, { ...a, text: "b" })).toBe(false);
    expect(bannerDismissed(storage, { id: "pkg:other", text: "a" })).toBe(false);
  });

  it("honours a dismissal saved before notices came from node packages", () => {
    const storage = { getItem: (k: string) => (k === "infix.tinyPackBanner.dismissed" ? "old advice" : null) };
    expect(bannerDismissed(storage, { id: "pkg:tiny", text: "old advice" })).toBe(true);
    expect(bannerDismissed(storage, { id: "pkg:tiny", text: "new advice" })).toBe(false);
  });
});

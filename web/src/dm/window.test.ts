import { describe, expect, it } from "vitest";
import { MAX_SPACE, rowWindow } from "./window";

describe("row window", () => {
  it("scrolls row by row while the table fits the scroll space", () => {
    const w = rowWindow({ total: 1000, rowHeight: 40, scrollTop: 4020, viewportHeight: 400 });
    expect([w.first, w.offset, w.visible, w.space]).toEqual([100, 20, 10, 40000]);
    expect(w.scrollTopFor(250)).toBe(10000);
  });
  it("maps the scroll range to rows by proportion for a million rows", () => {
    const at = (scrollTop: number) => rowWindow({ total: 1_000_000, rowHeight: 44, scrollTop, viewportHeight: 440 });
    expect(at(0).space).toBe(MAX_SPACE);
    expect(at(0).first).toBe(0);
    const end = at(MAX_SPACE);
    expect(end.first + end.visible).toBeGreaterThanOrEqual(1_000_000);
    expect(end.first).toBeLessThan(1_000_000);
    const half = at(at(0).scrollTopFor(500_000));
    expect(half.first).toBe(500_000);
  });
});

import { describe, expect, it } from "vitest";
import { isKeyCombination, keymapOf } from "./hotkeys";

describe("custom hotkeys", () => {
  it("become the editor's keymap, active ones only", () => {
    expect(keymapOf({ "annotation:submit": { key: "Ctrl+S", active: true }, "annotation:skip": { key: "ctrl+k", active: false }, "unknown:thing": { key: "x" } })).toEqual({
      "annotation:submit": { key: "ctrl+s", mac: "ctrl+s", description: "Submit or update the annotation" },
    });
    expect(keymapOf(undefined)).toEqual({});
  });
  it("accepts key combinations only", () => {
    expect(isKeyCombination("ctrl+shift+s")).toBe(true);
    expect(isKeyCombination("f2")).toBe(true);
    expect(isKeyCombination("ctrl+")).toBe(false);
    expect(isKeyCombination("hello")).toBe(false);
  });
});

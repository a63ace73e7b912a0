import { describe, expect, it } from "vitest";
import { drawnContext, suggestionsOf } from "./interactive";

describe("interactive pre-annotation", () => {
  it("sends only the regions just drawn as context", () => {
    const results = [
      { id: "a", type: "labels", value: { start: 0, end: 4, labels: ["Person"] } },
      { id: "b", type: "labels", value: { start: 9, end: 12, labels: ["Place"] } },
      { id: "c", type: "choices", value: { choices: ["x"] } },
    ];
    expect(drawnContext(results, ["b"])).toEqual({ result: [results[1]] });
    expect(drawnContext(results, [])).toEqual({ result: [] });
  });

  it("reads suggestions from the answer and nothing from errors", () => {
    const result = [{ from_name: "entity", to_name: "text", type: "labels", value: { start: 1, end: 2, labels: ["Place"] } }];
    expect(suggestionsOf({ data: { result, score: 0.9 } })).toEqual(result);
    expect(suggestionsOf({ errors: ["Model is not set to be used for interactive preannotations"] })).toBeNull();
    expect(suggestionsOf({ data: { result: "no" } })).toBeNull();
    expect(suggestionsOf(null)).toBeNull();
  });
});

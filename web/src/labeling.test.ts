import { describe, expect, it } from "vitest";
import type { Me, TaskDetail } from "./api";
import { cleanHtml, historySpot, parseSelection, resumedDrafts, selectionParam, startingPoint, toLsfTask } from "./labeling";

const me: Me = { id: 1, email: "ada@example.com", first_name: "Ada", last_name: "L", username: "ada", active_organization: 1 };
const annotation = (id: number, author: number) => ({
  id, result: [{ type: "choices" }], completed_by: author, created_username: `user${author}`, was_cancelled: false, ground_truth: false,
  created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", lead_time: 2,
});
const task = (over: Partial<TaskDetail> = {}): TaskDetail => ({ id: 5, data: { text: "x" }, annotations: [], drafts: [], predictions: [], ...over });

describe("starting point", () => {
  it("leaves the user's own annotation in place", () => {
    expect(startingPoint(task({ annotations: [annotation(1, 1)] }), me)).toBeNull();
  });
  it("resumes the user's draft of a new annotation, not other people's", () => {
    const mine = { id: 3, user: "ada@example.com", result: [], annotation: null, task: 5 };
    const theirs = { id: 4, user: "bob@example.com", result: [], annotation: null, task: 5 };
    expect(startingPoint(task({ drafts: [theirs, mine] }), me)).toEqual({ kind: "draft", draft: mine });
    expect(startingPoint(task({ drafts: [theirs] }), me)).toEqual({ kind: "empty" });
  });
  it("starts from a prediction when there is one, else empty", () => {
    expect(startingPoint(task({ annotations: [annotation(2, 9)], predictions: [{ id: 1, result: [], model_version: "m", score: 0.5 }] }), me)).toEqual({ kind: "prediction" });
    expect(startingPoint(task(), me)).toEqual({ kind: "empty" });
  });
});

describe("editor task", () => {
  it("keys annotations by id and loads the user's draft of an annotation in its place", () => {
    const draft = { id: 8, user: "ada@example.com", result: [{ type: "labels" }], annotation: 1, task: 5 };
    const out = toLsfTask(task({ annotations: [annotation(1, 1)], drafts: [draft], predictions: [{ id: 3, result: [], model_version: "v2", score: null }] }), me);
    expect(out.annotations[0]).toMatchObject({ id: "1", pk: "1", draft: [{ type: "labels" }], createdBy: "user1", skipped: false });
    expect(out.predictions[0]).toMatchObject({ id: "prediction-3", pk: "3", createdBy: "v2" });
  });
});

describe("drafts and HTML", () => {
  it("continues the newest draft of each of the user's annotations", () => {
    const drafts = [
      { id: 3, user: "ada@example.com", result: [], annotation: 1, task: 5 },
      { id: 9, user: "ada@example.com", result: [], annotation: 1, task: 5 },
      { id: 7, user: "bob@example.com", result: [], annotation: 2, task: 5 },
      { id: 8, user: "ada@example.com", result: [], annotation: null, task: 5 },
    ];
    expect(resumedDrafts(task({ drafts }), me)).toEqual(new Map([["1", 9]]));
    expect(startingPoint(task({ drafts: [...drafts, { id: 10, user: "ada@example.com", result: [], annotation: null, task: 5 }] }), me)).toMatchObject({ kind: "draft", draft: { id: 10 } });
  });
  it("passes only the HTML keys through the cleaner", () => {
    expect(cleanHtml({ page: "<b>x</b><script>1</script>", text: "<i>y</i>", n: 1 }, ["page", "n"], (h) => h.replace(/<script>.*<\/script>/, ""))).toEqual({ page: "<b>x</b>", text: "<i>y</i>", n: 1 });
  });
});

describe("selection parameter", () => {
  it("round-trips", () => {
    for (const s of [{ all: false as const, included: [1, 2] }, { all: true as const, excluded: [] }, { all: true as const, excluded: [4, 5] }]) {
      expect(parseSelection(selectionParam(s))).toEqual(s);
    }
  });
  it("refuses malformed values", () => {
    expect(parseSelection("1,x")).toBeNull();
    expect(parseSelection("all-a")).toBeNull();
    expect(parseSelection("")).toBeNull();
    expect(parseSelection("0")).toBeNull();
  });
});

describe("labeling history", () => {
  it("steps back and forward around the shown task", () => {
    expect(historySpot([3, 5, 9], 5)).toEqual({ back: 3, forward: 9, position: 2, total: 3 });
    expect(historySpot([3, 5, 9], 9)).toEqual({ back: 5, forward: null, position: 3, total: 3 });
    expect(historySpot([3, 5, 9], 3)).toEqual({ back: null, forward: 5, position: 1, total: 3 });
  });
  it("goes back to the newest entry from a task outside it, or from the end of the queue", () => {
    expect(historySpot([3, 5], 7)).toEqual({ back: 5, forward: null, position: 0, total: 2 });
    expect(historySpot([3, 5], null)).toEqual({ back: 5, forward: null, position: 0, total: 2 });
    expect(historySpot([], null)).toEqual({ back: null, forward: null, position: 0, total: 0 });
  });
});

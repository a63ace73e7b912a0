import { describe, expect, it } from "vitest";
import { actionBody, columnKey, isComplete, isSelected, leafColumns, nextOrdering, nextTaskUrl, newFilter, operatorsFor, orderOf, selectedCount, tasksUrl, toggleColumn, toggleSelected, visibleColumns, type Column, type View } from "./query";

const id: Column = { id: "id", title: "ID", type: "Number", target: "tasks", visibility_defaults: { explore: true, labeling: false } };
const inner: Column = { id: "inner_id", title: "Inner ID", type: "Number", target: "tasks", visibility_defaults: { explore: false, labeling: false } };
const text: Column = { id: "text", title: "text", type: "String", target: "tasks", parent: "data", visibility_defaults: { explore: true, labeling: true } };
const image: Column = { id: "image", title: "image", type: "Image", target: "tasks", parent: "data" };
const group: Column = { id: "data", title: "data", type: "List", target: "tasks", children: ["text", "image"] };
const columns = [text, image, id, inner, group];

describe("columns", () => {
  it("names columns as views store them and lists task columns before data", () => {
    expect(columnKey(text)).toBe("tasks:data.text");
    expect(columnKey(id)).toBe("tasks:id");
    expect(leafColumns(columns).map(columnKey)).toEqual(["tasks:id", "tasks:inner_id", "tasks:data.text", "tasks:data.image"]);
  });

  it("shows defaults until the tab hides columns, and toggles one at a time", () => {
    expect(visibleColumns(columns, { title: "t" }).map((c) => c.id)).toEqual(["id", "text", "image"]);
    const hidden = toggleColumn(columns, { title: "t" }, text);
    expect(hidden.explore).toEqual(["tasks:inner_id", "tasks:data.text"]);
    expect(visibleColumns(columns, { title: "t", hiddenColumns: hidden }).map((c) => c.id)).toEqual(["id", "image"]);
    const shown = toggleColumn(columns, { title: "t", hiddenColumns: hidden }, inner);
    expect(visibleColumns(columns, { title: "t", hiddenColumns: shown }).map((c) => c.id)).toEqual(["id", "inner_id", "image"]);
  });
});

describe("filters and ordering", () => {
  it("starts a filter with the type's first operator; media filter as strings", () => {
    expect(newFilter(text)).toEqual({ filter: "filter:tasks:data.text", operator: "contains", type: "String", value: null });
    expect(newFilter(image).type).toBe("String");
    expect(newFilter(id)).toEqual({ filter: "filter:tasks:id", operator: "equal", type: "Number", value: null });
    expect(operatorsFor("Datetime").map((o) => o.id)).toContain("in");
  });

  it("holds back filters without a value, as Label Studio ignores them", () => {
    expect(isComplete({ filter: "f", operator: "contains", type: "String", value: null })).toBe(false);
    expect(isComplete({ filter: "f", operator: "contains", type: "String", value: "" })).toBe(false);
    expect(isComplete({ filter: "f", operator: "in", type: "Number", value: { min: 1, max: null } })).toBe(false);
    expect(isComplete({ filter: "f", operator: "in", type: "Number", value: { min: 1, max: 3 } })).toBe(true);
    expect(isComplete({ filter: "f", operator: "empty", type: "Number", value: false })).toBe(true);
  });

  it("flips the ordering between ascending and descending", () => {
    // Ascending, descending, unsorted; unsorted is the id order, so ID starts descending.
    expect(nextOrdering(undefined, text)).toEqual(["tasks:data.text"]);
    expect(nextOrdering(["tasks:data.text"], text)).toEqual(["-tasks:data.text"]);
    expect(nextOrdering(["-tasks:data.text"], text)).toEqual(["tasks:id"]);
    expect(nextOrdering(undefined, id)).toEqual(["-tasks:id"]);
    expect(nextOrdering(["-tasks:id"], id)).toEqual(["tasks:id"]);
    expect(nextOrdering(["-tasks:id"], text)).toEqual(["tasks:data.text"]);
    expect(orderOf(["tasks:id"], id)).toBeNull();
    expect(orderOf(["-tasks:id"], id)).toBe("desc");
    expect(orderOf(["-tasks:id"], text)).toBeNull();
  });

  it("sends the tab's filters and ordering with each page", () => {
    const url = new URL(tasksUrl(4, { title: "t", ordering: ["-tasks:id"] }, ["tasks:avg_lead_time"], 2, 100), "http://x");
    expect(url.searchParams.get("project")).toBe("4");
    expect(url.searchParams.get("page")).toBe("2");
    expect(JSON.parse(url.searchParams.get("query")!)).toEqual({
      filters: { conjunction: "and", items: [] },
      ordering: ["-tasks:id"],
      hiddenColumns: { explore: ["tasks:avg_lead_time"], labeling: ["tasks:avg_lead_time"] },
    });
  });
});

describe("selection", () => {
  it("ticks ids, or everything but some", () => {
    let picked = toggleSelected({ all: false, included: [] }, 5);
    picked = toggleSelected(picked, 7);
    picked = toggleSelected(picked, 5);
    expect(picked).toEqual({ all: false, included: [7] });
    const allBut = toggleSelected({ all: true, excluded: [] }, 3);
    expect(isSelected(allBut, 3)).toBe(false);
    expect(isSelected(allBut, 4)).toBe(true);
    expect(selectedCount(allBut, 10)).toBe(9);
    expect(selectedCount(picked, 10)).toBe(1);
  });

  it("labels a selection within the tab's filters, and a tab by its id", () => {
    const view: View = { id: 9, project: 4, order: 0, data: { title: "t", ordering: ["tasks:id"] } };
    expect(nextTaskUrl(4, null, null)).toBe("/api/projects/4/next");
    expect(nextTaskUrl(4, 9, null)).toBe("/api/projects/4/next?view=9");
    const url = new URL(nextTaskUrl(4, view, { all: false, included: [1, 2] }), "http://x");
    expect(JSON.parse(url.searchParams.get("query")!)).toEqual({ filters: { conjunction: "and", items: [] }, ordering: ["tasks:id"], selectedItems: { all: false, included: [1, 2] } });
    expect(actionBody(view.data, { all: true, excluded: [3] })).toEqual({ filters: { conjunction: "and", items: [] }, ordering: ["tasks:id"], selectedItems: { all: true, excluded: [3] } });
  });
});

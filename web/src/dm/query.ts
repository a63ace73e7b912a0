// The Data Manager's query model as `/api/dm/views/` stores it: filters, ordering, hidden
// columns and selections (unit-tested in query.test.ts).
import type { Selection } from "../labeling";

/** One filter row: `filter:tasks:<column>`, an operator, the column's type and a value. */
export interface FilterItem {
  filter: string;
  operator: string;
  type: string;
  value: unknown;
}

/** A tab's saved state; `filters.items` are AND-ed or OR-ed. */
export interface ViewData {
  title: string;
  filters?: { conjunction: "and" | "or"; items: FilterItem[] };
  ordering?: string[];
  hiddenColumns?: { explore: string[]; labeling: string[] };
  /** How the tab shows its tasks (Label Studio's view `type`): a table, or a grid of images. */
  type?: "list" | "grid";
}

/** A Data Manager tab. */
export interface View {
  id: number;
  project: number;
  order: number | null;
  data: ViewData;
}

/** A column of the task table, as `/api/dm/columns/` lists it. */
export interface Column {
  id: string;
  title: string;
  type: string;
  target: string;
  parent?: string;
  help?: string;
  visibility_defaults?: { explore: boolean; labeling: boolean };
  children?: string[];
}

/** A column's key in views: `tasks:<id>` or `tasks:data.<key>`. */
export function columnKey(column: Column): string {
  return column.parent ? `tasks:${column.parent}.${column.id}` : `tasks:${column.id}`;
}

/** The columns a table shows: every leaf column, visible unless hidden by the tab (or by default). */
export function visibleColumns(columns: Column[], view: ViewData): Column[] {
  const hidden = view.hiddenColumns?.explore;
  return leafColumns(columns).filter((c) => (hidden ? !hidden.includes(columnKey(c)) : c.visibility_defaults?.explore !== false));
}

/** Columns that hold values (not the `data` group): task columns first, then data columns. */
export function leafColumns(columns: Column[]): Column[] {
  const leaves = columns.filter((c) => !c.children);
  return [...leaves.filter((c) => c.parent !== "data"), ...leaves.filter((c) => c.parent === "data")];
}

/** The keys of the columns a tab hides from the table: its own list, or the defaults. */
export function hiddenColumnKeys(columns: Column[], view: ViewData): string[] {
  return view.hiddenColumns?.explore ?? leafColumns(columns).filter((c) => c.visibility_defaults?.explore === false).map(columnKey);
}

/** Hidden-column list after showing or hiding one column. */
export function toggleColumn(columns: Column[], view: ViewData, column: Column): { explore: string[]; labeling: string[] } {
  const key = columnKey(column);
  const hidden = hiddenColumnKeys(columns, view);
  const explore = hidden.includes(key) ? hidden.filter((k) => k !== key) : [...hidden, key];
  return { explore, labeling: view.hiddenColumns?.labeling ?? [] };
}

/** Operators the filter editor offers for a column type (Label Studio's names). */
export function operatorsFor(type: string): { id: string; title: string }[] {
  const op = (id: string, title: string) => ({ id, title });
  const empty = op("empty", "is empty");
  switch (type) {
    case "Number":
    case "Time":
      return [op("equal", "="), op("not_equal", "≠"), op("less", "<"), op("greater", ">"), op("less_or_equal", "≤"), op("greater_or_equal", "≥"), op("in", "is between"), op("not_in", "not between"), empty];
    case "Datetime":
      return [op("less", "before"), op("greater", "after"), op("in", "is between"), op("not_in", "not between"), empty];
    case "Boolean":
      return [op("equal", "is"), empty];
    case "List":
      return [op("contains", "contains"), op("not_contains", "does not contain"), empty];
    default:
      return [op("contains", "contains"), op("not_contains", "does not contain"), op("regex", "matches regex"), op("equal", "equals"), op("not_equal", "does not equal"), empty];
  }
}

/** A new filter row for a column, with the first operator of its type and no value yet. */
export function newFilter(column: Column): FilterItem {
  const type = filterType(column.type);
  return { filter: `filter:${columnKey(column)}`, operator: operatorsFor(type)[0].id, type, value: defaultValue(type, operatorsFor(type)[0].id) };
}

/** The type a filter sends for a column type (media columns filter as strings). */
export function filterType(columnType: string): string {
  return ["Number", "Datetime", "Boolean", "List", "Time"].includes(columnType) ? columnType : "String";
}

/** The value a filter starts with for an operator. */
export function defaultValue(type: string, operator: string): unknown {
  if (operator === "empty") return true;
  if (operator === "in" || operator === "not_in") return { min: null, max: null };
  if (type === "Boolean") return true;
  return null;
}

/** Whether a filter has a value the server will apply (Label Studio skips null values). */
export function isComplete(item: FilterItem): boolean {
  if (item.value === null || item.value === "") return false;
  if (typeof item.value === "object" && item.value !== null && "min" in item.value) {
    const range = item.value as { min: unknown; max: unknown };
    return range.min !== null && range.min !== "" && range.max !== null && range.max !== "";
  }
  return true;
}

/**
 * The "unsorted" ordering: tasks in the order they came, by id. (A saved ordering cannot be
 * cleared with an empty list: Label Studio keeps the old one when sent one.)
 */
export const UNSORTED: string[] = ["tasks:id"];

/** Whether a tab shows its tasks unsorted (in the order they came). */
export function isUnsorted(ordering: string[] | undefined): boolean {
  return !ordering?.length || (ordering.length === 1 && ordering[0] === UNSORTED[0]);
}

/** The ordering after a click on a column header: ascending, descending, then unsorted again. */
export function nextOrdering(current: string[] | undefined, column: Column): string[] {
  const key = columnKey(column);
  const order = orderOf(current, column);
  if (order === "desc") return UNSORTED;
  if (order === "asc" || (key === UNSORTED[0] && isUnsorted(current))) return [`-${key}`];
  return [key];
}

/** How a column is ordered by the tab: "asc", "desc" or null (unsorted tabs order nothing). */
export function orderOf(ordering: string[] | undefined, column: Column): "asc" | "desc" | null {
  if (isUnsorted(ordering)) return null;
  const key = columnKey(column);
  if (ordering?.[0] === key) return "asc";
  if (ordering?.[0] === `-${key}`) return "desc";
  return null;
}

/**
 * The `/api/tasks/` page of a tab's filters, ordering and hidden columns, sent with the request
 * (not read from the saved tab) so that the table never waits for, or races, the tab's save.
 * The server returns the fields Label Studio evaluates per request (completion time, lead
 * time, drafts, prediction score) only for the columns the tab shows.
 */
export function tasksUrl(projectId: number, view: ViewData, hidden: string[], page: number, pageSize: number): string {
  const query = JSON.stringify({
    filters: view.filters ?? { conjunction: "and", items: [] },
    ordering: view.ordering ?? [],
    // The table's hidden columns, for both lists: the server leaves out a column hidden in both.
    hiddenColumns: { explore: hidden, labeling: hidden },
  });
  return `/api/tasks/?project=${projectId}&query=${encodeURIComponent(query)}&page=${page}&page_size=${pageSize}`;
}

/** Where the labeling stream takes its next task: the project, a tab, or a tab's selection. */
export function nextTaskUrl(projectId: number, view: View | number | null, selection: Selection | null): string {
  const base = `/api/projects/${projectId}/next`;
  if (selection && typeof view === "object" && view) {
    const query = { filters: view.data.filters ?? { conjunction: "and", items: [] }, ordering: view.data.ordering ?? [], selectedItems: selection };
    return `${base}?query=${encodeURIComponent(JSON.stringify(query))}`;
  }
  const tab = typeof view === "number" ? view : view?.id;
  return tab ? `${base}?view=${tab}` : base;
}

/** The body of a bulk action over a selection within a tab's filters. */
export function actionBody(view: ViewData, selection: Selection): Record<string, unknown> {
  return { filters: view.filters ?? { conjunction: "and", items: [] }, ordering: view.ordering ?? [], selectedItems: selection };
}

/** How many tasks a selection holds, out of `total` matching the tab's filters. */
export function selectedCount(selection: Selection, total: number): number {
  return selection.all ? Math.max(0, total - selection.excluded.length) : selection.included.length;
}

/** Whether a task is in a selection. */
export function isSelected(selection: Selection, id: number): boolean {
  return selection.all ? !selection.excluded.includes(id) : selection.included.includes(id);
}

/** The selection after ticking or unticking one task. */
export function toggleSelected(selection: Selection, id: number): Selection {
  if (selection.all) {
    const excluded = selection.excluded.includes(id) ? selection.excluded.filter((x) => x !== id) : [...selection.excluded, id];
    return { all: true, excluded };
  }
  const included = selection.included.includes(id) ? selection.included.filter((x) => x !== id) : [...selection.included, id];
  return { all: false, included };
}

/** Nothing selected. */
export const NO_SELECTION: Selection = { all: false, included: [] };

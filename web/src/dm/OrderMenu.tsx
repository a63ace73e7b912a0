import { columnKey, isUnsorted, UNSORTED, type Column } from "./query";

/** The tab's ordering as a menu: unsorted or a column, and the direction. */
export function OrderMenu({ columns, ordering, onChange }: { columns: Column[]; ordering: string[] | undefined; onChange(ordering: string[]): void }) {
  const unsorted = isUnsorted(ordering);
  const current = unsorted ? "" : (ordering?.[0] ?? "").replace(/^-/, "");
  const descending = !unsorted && !!ordering?.[0]?.startsWith("-");
  const sortable = columns.filter((c) => c.id !== "agreement" && !c.children);
  return (
    <span className="order-menu">
      <label>
        Order by{" "}
        <select aria-label="Order by" value={current} onChange={(e) => onChange(e.target.value ? [e.target.value] : UNSORTED)}>
          <option value="">Unsorted</option>
          {sortable.map((c) => <option key={columnKey(c)} value={columnKey(c)}>{c.title}</option>)}
        </select>
      </label>
      {!unsorted && (
        <button aria-label={descending ? "Descending; change to ascending" : "Ascending; change to descending"} onClick={() => onChange([descending ? current : `-${current}`])}>
          {descending ? "↓" : "↑"}
        </button>
      )}
    </span>
  );
}

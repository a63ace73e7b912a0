import { useState } from "react";
import { columnKey, leafColumns, visibleColumns, type Column, type ViewData } from "./query";

/** A popover listing every column with a checkbox: shown or hidden in this tab. */
export function ColumnChooser({ columns, view, onToggle }: { columns: Column[]; view: ViewData; onToggle(column: Column): void }) {
  const [open, setOpen] = useState(false);
  const shown = new Set(visibleColumns(columns, view).map(columnKey));
  return (
    <div className="popover-anchor">
      <button aria-expanded={open} onClick={() => setOpen(!open)}>Columns</button>
      {open && (
        <div className="popover" role="group" aria-label="Columns" onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
          {leafColumns(columns).map((column) => (
            <label key={columnKey(column)} className="check">
              <input type="checkbox" checked={shown.has(columnKey(column))} onChange={() => onToggle(column)} />
              {column.title}{column.parent ? <span className="muted"> (data)</span> : null}
            </label>
          ))}
          <button className="subtle" onClick={() => setOpen(false)}>Done</button>
        </div>
      )}
    </div>
  );
}

import { useEffect, useState, type KeyboardEvent } from "react";
import type { Me, Task } from "../api";
import { snippet } from "../lib";
import type { Selection } from "../labeling";
import { columnKey, isSelected, orderOf, toggleSelected, type Column, type View } from "./query";
import { useScrollViewport } from "./useScrollViewport";
import { listShape, useTaskPages, type Totals } from "./useTaskPages";

export type { Totals };
import { rowWindow } from "./window";

const ROW_HEIGHT = 44;
/** Rows drawn beyond the visible ones, below. */
const OVERSCAN = 4;

/**
 * The task table: it is as tall as all the tasks its tab matches, and fetches the pages of 100
 * rows that the visible window needs, so any position is one scrollbar drag away (past a few
 * hundred thousand rows the scrollbar maps to rows by proportion, as browsers cap an element's
 * height). Only the visible rows are drawn. Arrow keys move, Page keys page, Enter opens, Space
 * selects.
 */
export function TaskTable({ projectId, view, columns, hidden, users, selection, onSelection, opened, onOpen, onOrder, onTotals }: {
  projectId: number;
  view: View;
  columns: Column[];
  /** Keys of the columns the tab hides (the server leaves their computed fields out). */
  hidden: string[];
  users: Map<number, Me>;
  selection: Selection;
  onSelection(selection: Selection): void;
  opened: number | null;
  onOpen(id: number): void;
  onOrder(column: Column): void;
  onTotals(totals: Totals | null): void;
}) {
  const shape = listShape(view, hidden);
  const { element: scroller, ref, viewport, onScroll } = useScrollViewport(shape);
  const [cursorAt, setCursor] = useState(0);
  const [knownTotal, setKnownTotal] = useState(0);
  const win = rowWindow({ total: knownTotal, rowHeight: ROW_HEIGHT, scrollTop: viewport.top, viewportHeight: viewport.height });
  const last = Math.min(Math.max(0, knownTotal - 1), win.first + win.visible + OVERSCAN);
  const { total, failed, rowAt } = useTaskPages(projectId, view, hidden, win.first, last, onTotals);
  useEffect(() => setKnownTotal(total ?? 0), [total]);
  // The cursor goes back to the top with the rows when the filters or ordering change.
  useEffect(() => setCursor(0), [shape]);

  const count = total ?? 0;
  const cursor = Math.min(cursorAt, Math.max(0, count - 1));
  const onKey = (e: KeyboardEvent) => {
    if (!count || e.target !== scroller.current) return;
    const move = (to: number) => {
      const next = Math.max(0, Math.min(count - 1, to));
      setCursor(next);
      if (next < win.first || next >= win.first + win.visible - 1) {
        scroller.current?.scrollTo(0, win.scrollTopFor(Math.max(0, next - (next < win.first ? 0 : win.visible - 2))));
      }
    };
    const task = rowAt(cursor);
    if (e.key === "ArrowDown") move(cursor + 1);
    else if (e.key === "ArrowUp") move(cursor - 1);
    else if (e.key === "PageDown") move(cursor + win.visible - 1);
    else if (e.key === "PageUp") move(cursor - win.visible + 1);
    else if (e.key === "Home") move(0);
    else if (e.key === "End") move(count - 1);
    else if (e.key === "Enter" && task) onOpen(task.id);
    else if (e.key === " " && task) onSelection(toggleSelected(selection, task.id));
    else return;
    e.preventDefault();
  };

  if (total === null && failed) return <p className="error" role="alert">{failed.message}</p>;
  if (total === null) return <p className="muted" role="status">Loading tasks…</p>;
  if (!total) {
    const filtered = (view.data.filters?.items.length ?? 0) > 0;
    return <div className="empty" data-testid="no-rows"><p>{filtered ? "No tasks match the filters." : "No tasks yet. Import data to start."}</p></div>;
  }

  const allOnScreen = selection.all && selection.excluded.length === 0;
  const indexes: number[] = [];
  for (let i = win.first; i <= last; i++) indexes.push(i);
  const shownTask = rowAt(cursor);
  return (
    <div
      className="dm-scroller"
      ref={ref}
      tabIndex={0}
      onKeyDown={onKey}
      onScroll={onScroll}
      aria-label="Tasks; arrow and page keys move, Enter opens, Space selects"
      aria-activedescendant={shownTask ? `task-row-${shownTask.id}` : undefined}
    >
      <div className="dm-space" style={{ height: win.space + ROW_HEIGHT }}>
        <div className="dm-window" style={{ height: viewport.height }}>
          {failed && <p className="error" role="alert">{failed.message}</p>}
          <table className="tasks dm-table" aria-rowcount={total} data-first-row={win.first}>
            <thead>
              <tr>
                <th scope="col" className="select">
                  <input
                    type="checkbox"
                    aria-label="Select all tasks"
                    checked={allOnScreen}
                    ref={(el) => el && (el.indeterminate = !allOnScreen && (selection.all || selection.included.length > 0))}
                    onChange={() => onSelection(allOnScreen ? { all: false, included: [] } : { all: true, excluded: [] })}
                  />
                </th>
                {columns.map((column) => {
                  const order = orderOf(view.data.ordering, column);
                  const sortable = column.id !== "agreement";
                  return (
                    <th scope="col" key={columnKey(column)} aria-sort={order === "asc" ? "ascending" : order === "desc" ? "descending" : undefined} title={column.help}>
                      {sortable ? (
                        <button className="sort" onClick={() => onOrder(column)}>
                          {column.title} <span aria-hidden="true">{order === "asc" ? "▲" : order === "desc" ? "▼" : ""}</span>
                        </button>
                      ) : (
                        column.title
                      )}
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody style={{ transform: `translateY(${-win.offset}px)` }}>
              {indexes.map((index) => {
                const task = rowAt(index);
                if (!task) {
                  return (
                    <tr key={`row-${index}`} className="pending" style={{ height: ROW_HEIGHT }} aria-rowindex={index + 1}>
                      <td colSpan={columns.length + 1} className="muted">…</td>
                    </tr>
                  );
                }
                const chosen = isSelected(selection, task.id);
                const classes = [task.id === opened ? "opened" : "", index === cursor ? "cursor" : "", chosen ? "chosen" : ""].join(" ");
                return (
                  <tr key={task.id} id={`task-row-${task.id}`} className={classes} style={{ height: ROW_HEIGHT }} aria-rowindex={index + 1} aria-selected={chosen} onClick={() => { setCursor(index); onOpen(task.id); }}>
                    <td className="select" onClick={(e) => e.stopPropagation()}>
                      <input type="checkbox" aria-label={`Select task ${task.id}`} checked={chosen} onChange={() => onSelection(toggleSelected(selection, task.id))} />
                    </td>
                    {columns.map((column) => (
                      <td key={columnKey(column)}><Cell task={task} column={column} users={users} /></td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}

/** One cell: media previews for data columns, people for user lists, dates, numbers. */
function Cell({ task, column, users }: { task: Task; column: Column; users: Map<number, Me> }) {
  if (column.parent === "data") {
    const value = task.data[column.id];
    if (typeof value === "string" && column.type === "Image") return <img className="thumb" src={value} alt="" loading="lazy" />;
    if (typeof value === "string" && (column.type === "Audio" || column.type === "AudioPlus")) {
      return <audio controls preload="none" src={value} onClick={(e) => e.stopPropagation()} />;
    }
    const text = snippet(value, 120);
    return <span title={snippet(value, 1000)}>{text}</span>;
  }
  if (column.id === "agreement") return <span className="muted" title="Agreement metrics arrive with reviews">—</span>;
  const value = (task as unknown as Record<string, unknown>)[column.id];
  if (column.id === "annotators" || column.id === "updated_by") {
    const ids = (value as (number | { user_id: number })[] | undefined ?? []).map((v) => (typeof v === "number" ? v : v.user_id));
    return (
      <span className="people">
        {ids.slice(0, 4).map((id) => {
          const user = users.get(id);
          return <span key={id} className="person" title={user?.email ?? `User ${id}`}>{initials(user, id)}</span>;
        })}
        {ids.length > 4 && <span className="muted">+{ids.length - 4}</span>}
      </span>
    );
  }
  if (value === null || value === undefined || value === "") return null;
  if (column.type === "Datetime" && typeof value === "string") return <span title={value}>{new Date(value).toLocaleString()}</span>;
  if (typeof value === "boolean") return <span>{value ? "✓" : ""}</span>;
  if (typeof value === "number") return <span>{Number.isInteger(value) ? value : value.toFixed(2)}</span>;
  return <span>{snippet(value, 80)}</span>;
}

/** Two letters for a person's chip. */
function initials(user: Me | undefined, id: number): string {
  if (!user) return `#${id}`;
  const name = `${user.first_name?.[0] ?? ""}${user.last_name?.[0] ?? ""}`;
  return (name || user.email.slice(0, 2)).toUpperCase();
}

import { useInfiniteQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { api, type Me, type Task, type TaskList } from "../api";
import { snippet } from "../lib";
import type { Selection } from "../labeling";
import { columnKey, isSelected, orderOf, tasksUrl, toggleSelected, type Column, type View } from "./query";

const PAGE_SIZE = 100;
const ROW_HEIGHT = 44;

/** What the table reports about the tasks its tab matches. */
export interface Totals {
  total: number;
  total_annotations: number;
  total_predictions: number;
}

/**
 * The task table: loads pages of 100 as the user scrolls and renders only the rows in view, so
 * it stays smooth however many tasks match. Arrow keys move, Enter opens, Space selects.
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
  const shape = JSON.stringify([view.data.filters ?? null, view.data.ordering ?? null, hidden]);
  const list = useInfiniteQuery({
    queryKey: ["tasks", String(projectId), view.id, shape],
    queryFn: ({ pageParam }) => api<TaskList>(tasksUrl(projectId, view.data, hidden, pageParam, PAGE_SIZE)),
    initialPageParam: 1,
    getNextPageParam: (last, pages) => (pages.length * PAGE_SIZE < last.total ? pages.length + 1 : undefined),
  });
  const rows = list.data?.pages.flatMap((p) => p.tasks) ?? [];
  const first = list.data?.pages[0];
  useEffect(() => onTotals(first ? { total: first.total, total_annotations: first.total_annotations, total_predictions: first.total_predictions } : null), [first, onTotals]);

  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length + (list.hasNextPage ? 1 : 0), getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = virtual.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (lastIndex >= rows.length - 1 && list.hasNextPage && !list.isFetchingNextPage) list.fetchNextPage();
  }, [lastIndex, rows.length, list]);

  const [cursorAt, setCursor] = useState(0);
  // Back to the top when the filters or ordering change; never past the rows there are.
  useEffect(() => setCursor(0), [shape]);
  const cursor = Math.min(cursorAt, Math.max(0, rows.length - 1));
  const onKey = (e: KeyboardEvent) => {
    if (!rows.length || e.target !== scroller.current) return;
    const move = (to: number) => {
      const next = Math.max(0, Math.min(rows.length - 1, to));
      setCursor(next);
      virtual.scrollToIndex(next);
    };
    if (e.key === "ArrowDown") move(cursor + 1);
    else if (e.key === "ArrowUp") move(cursor - 1);
    else if (e.key === "Home") move(0);
    else if (e.key === "End") move(rows.length - 1);
    else if (e.key === "Enter") onOpen(rows[cursor].id);
    else if (e.key === " ") onSelection(toggleSelected(selection, rows[cursor].id));
    else return;
    e.preventDefault();
  };

  if (list.isPending) return <p className="muted" role="status">Loading tasks…</p>;
  if (list.isError) return <p className="error" role="alert">{list.error.message}</p>;
  if (!rows.length) {
    const filtered = (view.data.filters?.items.length ?? 0) > 0;
    return <div className="empty" data-testid="no-rows"><p>{filtered ? "No tasks match the filters." : "No tasks yet. Import data to start."}</p></div>;
  }

  const allOnScreen = selection.all && selection.excluded.length === 0;
  const padTop = items.length ? items[0].start : 0;
  const padBottom = items.length ? virtual.getTotalSize() - items[items.length - 1].end : 0;
  return (
    <div
      className="dm-scroller"
      ref={scroller}
      tabIndex={0}
      onKeyDown={onKey}
      aria-label="Tasks; arrow keys move, Enter opens, Space selects"
      aria-activedescendant={rows[cursor] ? `task-row-${rows[cursor].id}` : undefined}
    >
      <table className="tasks dm-table" aria-rowcount={first?.total} data-rows={rows.length}>
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
        <tbody>
          {padTop > 0 && <tr style={{ height: padTop }} aria-hidden="true" />}
          {items.map((item) => {
            const task = rows[item.index];
            if (!task) {
              return (
                <tr key="loading" style={{ height: ROW_HEIGHT }}>
                  <td colSpan={columns.length + 1} className="muted">Loading more…</td>
                </tr>
              );
            }
            const chosen = isSelected(selection, task.id);
            const classes = [task.id === opened ? "opened" : "", item.index === cursor ? "cursor" : "", chosen ? "chosen" : ""].join(" ");
            return (
              <tr key={task.id} id={`task-row-${task.id}`} className={classes} style={{ height: ROW_HEIGHT }} aria-selected={chosen} onClick={() => { setCursor(item.index); onOpen(task.id); }}>
                <td className="select" onClick={(e) => e.stopPropagation()}>
                  <input type="checkbox" aria-label={`Select task ${task.id}`} checked={chosen} onChange={() => onSelection(toggleSelected(selection, task.id))} />
                </td>
                {columns.map((column) => (
                  <td key={columnKey(column)}><Cell task={task} column={column} users={users} /></td>
                ))}
              </tr>
            );
          })}
          {padBottom > 0 && <tr style={{ height: padBottom }} aria-hidden="true" />}
        </tbody>
      </table>
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

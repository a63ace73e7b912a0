import { useEffect, useState } from "react";
import { plural } from "../lib";
import type { Selection } from "../labeling";
import { isSelected, toggleSelected, type Column, type View } from "./query";
import { useScrollViewport } from "./useScrollViewport";
import { listShape, useTaskPages, type Totals } from "./useTaskPages";
import { rowWindow } from "./window";

const CARD_WIDTH = 200;
const CARD_HEIGHT = 230;

/**
 * The tab's tasks as a grid of image cards (projects whose tasks are images): as tall as all
 * the tasks, fetching only the pages the visible rows of cards need, like the table.
 */
export function TaskGrid({ projectId, view, hidden, imageColumn, selection, onSelection, opened, onOpen, onTotals }: {
  projectId: number;
  view: View;
  hidden: string[];
  /** The data column holding each task's image. */
  imageColumn: Column;
  selection: Selection;
  onSelection(selection: Selection): void;
  opened: number | null;
  onOpen(id: number): void;
  onTotals(totals: Totals): void;
}) {
  const { ref, viewport, onScroll } = useScrollViewport(listShape(view, hidden));
  const [knownTotal, setKnownTotal] = useState(0);
  const perRow = Math.max(1, Math.floor(viewport.width / CARD_WIDTH));
  const win = rowWindow({ total: Math.ceil(knownTotal / perRow), rowHeight: CARD_HEIGHT, scrollTop: viewport.top, viewportHeight: viewport.height });
  const firstTask = win.first * perRow;
  const lastTask = Math.min(Math.max(0, knownTotal - 1), (win.first + win.visible + 1) * perRow - 1);
  const { total, failed, rowAt } = useTaskPages(projectId, view, hidden, firstTask, lastTask, onTotals);
  useEffect(() => setKnownTotal(total ?? 0), [total]);

  if (total === null && failed) return <p className="error" role="alert">{failed.message}</p>;
  if (total === null) return <p className="muted" role="status">Loading tasks…</p>;
  if (!total) return <div className="empty" data-testid="no-rows"><p>No tasks match this tab.</p></div>;
  const indexes: number[] = [];
  for (let i = firstTask; i <= lastTask; i++) indexes.push(i);
  return (
    <div className="dm-scroller" ref={ref} onScroll={onScroll} aria-label="Tasks as a grid">
      <div className="dm-space" style={{ height: win.space }}>
        <div className="dm-window" style={{ height: viewport.height }}>
          <ul className="task-grid" data-testid="task-grid" style={{ gridTemplateColumns: `repeat(${perRow}, 1fr)`, transform: `translateY(${-win.offset}px)` }}>
            {indexes.map((index) => {
              const task = rowAt(index);
              if (!task) return <li key={`card-${index}`} className="grid-card pending" style={{ height: CARD_HEIGHT - 10 }}>…</li>;
              const chosen = isSelected(selection, task.id);
              const image = task.data[imageColumn.id];
              return (
                <li key={task.id} className={["grid-card", task.id === opened ? "opened" : "", chosen ? "chosen" : ""].join(" ")} style={{ height: CARD_HEIGHT - 10 }}>
                  <button className="grid-open" onClick={() => onOpen(task.id)} aria-label={`Open task ${task.id}`}>
                    {typeof image === "string" ? <img src={image} alt="" loading="lazy" /> : <span className="muted">No image</span>}
                  </button>
                  <label className="check grid-meta">
                    <input type="checkbox" aria-label={`Select task ${task.id}`} checked={chosen} onChange={() => onSelection(toggleSelected(selection, task.id))} />
                    <span>#{task.id}</span>
                    <span className="muted">{plural(task.total_annotations, "annotation")}</span>
                  </label>
                </li>
              );
            })}
          </ul>
        </div>
      </div>
    </div>
  );
}

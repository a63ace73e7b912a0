import { useQueries } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, type Task, type TaskList } from "../api";
import { tasksUrl, type View } from "./query";

/** What a tab's tasks add up to. */
export interface Totals {
  total: number;
  total_annotations: number;
  total_predictions: number;
}

/** Tasks per page fetched. */
export const PAGE_SIZE = 100;

/**
 * The tasks of a tab between two positions, fetched as the pages of 100 holding them (each page
 * kept by the query cache), and the number of tasks the tab matches (null until known; back to
 * null when the filters or ordering change).
 */
/** What decides which tasks a tab lists, and in which order: its filters, ordering and hidden
 * columns (the computed fields the server leaves out). */
export function listShape(view: View, hidden: string[]): string {
  return JSON.stringify([view.data.filters ?? null, view.data.ordering ?? null, hidden]);
}

export function useTaskPages(projectId: number, view: View, hidden: string[], first: number, last: number, onTotals?: (totals: Totals) => void) {
  const shape = listShape(view, hidden);
  const [known, setKnown] = useState<{ shape: string; total: number } | null>(null);
  const pages: number[] = [];
  for (let page = Math.floor(first / PAGE_SIZE) + 1; page <= Math.floor(Math.max(first, last) / PAGE_SIZE) + 1; page++) pages.push(page);
  const loaded = useQueries({
    queries: pages.map((page) => ({
      queryKey: ["tasks", String(projectId), view.id, shape, page],
      queryFn: () => api<TaskList>(tasksUrl(projectId, view.data, hidden, page, PAGE_SIZE)),
    })),
  });
  const head = loaded.find((q) => q.data)?.data;
  useEffect(() => {
    if (head) setKnown({ shape, total: head.total });
  }, [head, shape]);
  // The last totals stay while the rows of another window load.
  useEffect(() => {
    if (head && onTotals) onTotals({ total: head.total, total_annotations: head.total_annotations, total_predictions: head.total_predictions });
  }, [head?.total, head?.total_annotations, head?.total_predictions, onTotals]);
  const rowAt = (index: number): Task | undefined => loaded[pages.indexOf(Math.floor(index / PAGE_SIZE) + 1)]?.data?.tasks[index % PAGE_SIZE];
  return {
    total: known?.shape === shape ? known.total : null,
    head,
    failed: loaded.find((q) => q.isError)?.error ?? null,
    rowAt,
  };
}

// Pure pieces of the labeling flow: turning API tasks into the editor's shape and choosing what
// the annotator starts from (unit-tested in labeling.test.ts).
import type { Annotation, Draft, Me, TaskDetail } from "./api";
import type { LsfTask } from "./lsf";

/** A user's name as the editor shows it. */
export function displayName(user: { email: string; first_name?: string; last_name?: string }): string {
  const name = `${user.first_name ?? ""} ${user.last_name ?? ""}`.trim();
  return name || user.email;
}

/** The id of an annotation's author, whatever shape `completed_by` has. */
export function authorId(annotation: Annotation): number {
  return typeof annotation.completed_by === "number" ? annotation.completed_by : annotation.completed_by.id;
}

/** The user's own drafts of a task, newest first (task detail routes may list other people's too). */
export function ownDrafts(task: TaskDetail, me: Me): Draft[] {
  return task.drafts.filter((d) => d.user === me.email).sort((a, b) => b.id - a.id);
}

/**
 * The drafts the user's annotations continue, by the editor's annotation id (the annotation's
 * id as text): the newest draft of each.
 */
export function resumedDrafts(task: TaskDetail, me: Me): Map<string, number> {
  const drafts = new Map<string, number>();
  for (const draft of [...ownDrafts(task, me)].reverse()) {
    if (draft.annotation !== null) drafts.set(String(draft.annotation), draft.id);
  }
  return drafts;
}

/** Task data with the values shown as HTML (`htmlKeys`) passed through `clean`. */
export function cleanHtml(data: Record<string, unknown>, htmlKeys: string[], clean: (html: string) => string): Record<string, unknown> {
  const out = { ...data };
  for (const key of htmlKeys) if (typeof out[key] === "string") out[key] = clean(out[key] as string);
  return out;
}

/**
 * The task in the editor's shape: annotations with their ids as primary keys, the user's draft of
 * an annotation loaded in its place, predictions read-only.
 */
export function toLsfTask(task: TaskDetail, me: Me, clean: (data: Record<string, unknown>) => Record<string, unknown> = (d) => d): LsfTask {
  const drafts = ownDrafts(task, me);
  return {
    id: task.id,
    data: clean(task.data),
    annotations: task.annotations.map((a) => {
      const draft = drafts.find((d) => d.annotation === a.id);
      return {
        id: String(a.id),
        pk: String(a.id),
        result: a.result,
        ...(draft ? { draft: draft.result } : {}),
        createdBy: typeof a.completed_by === "number" ? a.created_username : displayName(a.completed_by),
        createdDate: a.created_at,
        leadTime: a.lead_time ?? 0,
        userGenerate: false,
        sentUserGenerate: true,
        skipped: a.was_cancelled,
        ground_truth: a.ground_truth,
      };
    }),
    predictions: task.predictions.map((p) => ({
      id: `prediction-${p.id}`,
      pk: String(p.id),
      result: p.result,
      score: p.score,
      createdBy: p.model_version || "prediction",
      model_version: p.model_version,
    })),
  };
}

/** What a new annotation starts from when the user has none on the task. */
export type Start = { kind: "draft"; draft: Draft } | { kind: "prediction" } | { kind: "empty" };

/**
 * The starting point for the user: nothing when they already annotated the task (the editor
 * shows their annotation), else their draft of a new annotation, else the first prediction,
 * else an empty annotation.
 */
export function startingPoint(task: TaskDetail, me: Me): Start | null {
  if (task.annotations.some((a) => authorId(a) === me.id)) return null;
  const draft = ownDrafts(task, me).find((d) => d.annotation === null);
  if (draft) return { kind: "draft", draft };
  return task.predictions.length ? { kind: "prediction" } : { kind: "empty" };
}

/** Tasks picked in the Data Manager: listed ids, or everything except listed ids. */
export type Selection = { all: false; included: number[] } | { all: true; excluded: number[] };

/** Selection as a compact URL parameter: `1,2,3` or `all` / `all-4,5`. */
export function selectionParam(selection: Selection): string {
  if (!selection.all) return selection.included.join(",");
  return selection.excluded.length ? `all-${selection.excluded.join(",")}` : "all";
}

/** Reads a selection URL parameter back; null when absent or malformed. */
export function parseSelection(param: string | null): Selection | null {
  if (!param) return null;
  const ids = (text: string) => (text ? text.split(",").map(Number) : []);
  if (param === "all" || param.startsWith("all-")) {
    const excluded = ids(param.slice(4));
    return excluded.every(Number.isInteger) ? { all: true, excluded } : null;
  }
  const included = ids(param);
  return included.length && included.every((n) => Number.isInteger(n) && n > 0) ? { all: false, included } : null;
}

/** Where the user is in their labeling history (`label-stream-history`, oldest first). */
export interface HistorySpot {
  /** The task one step back, if any. */
  back: number | null;
  /** The task one step forward in the history, if any (past the end the stream continues). */
  forward: number | null;
  /** 1-based position of the shown task in the history, 0 when it is not in it. */
  position: number;
  total: number;
}

/** The history steps around `taskId` (null: nothing shown, as after the last task). */
export function historySpot(history: number[], taskId: number | null): HistorySpot {
  const at = taskId === null ? -1 : history.lastIndexOf(taskId);
  if (at < 0) return { back: history.length ? history[history.length - 1] : null, forward: null, position: 0, total: history.length };
  return {
    back: at > 0 ? history[at - 1] : null,
    forward: at < history.length - 1 ? history[at + 1] : null,
    position: at + 1,
    total: history.length,
  };
}

/** The user's skip of this task, which "Cancel skip" takes back. */
export function ownSkip(task: TaskDetail, me: Me): Annotation | undefined {
  return task.annotations.find((a) => a.was_cancelled && authorId(a) === me.id);
}

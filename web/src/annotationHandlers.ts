// What the editor's buttons do, wherever a task is labeled (the labeling page and the Data
// Manager's quick view): submit, update, skip and drafts, each saved through the API.
import { useEffect, useMemo, useRef } from "react";
import { api, type Annotation, type Draft, type Me, type TaskDetail } from "./api";
import type { EditorHandlers } from "./components/Editor";
import { resumedDrafts, startingPoint } from "./labeling";
import type { LsfAnnotation } from "./lsf";

/** What happened, for the host to say and follow up on. */
export type Saved = "submitted" | "updated" | "skipped";

/**
 * The editor handlers for `task` in `projectId`. `onSaved` hears of each save (with the
 * message to show); `onDraft` of each draft saved. Also returns the seconds spent on the task.
 */
export function useAnnotationHandlers(task: TaskDetail | null, projectId: number, me: Me, onSaved: (what: Saved, message: string) => void, onDraft: (message: string) => void) {
  const started = useRef(Date.now());
  const draftIds = useRef(new Map<string, number>());
  // The draft of a new annotation that the task was resumed from, until it is submitted.
  const resumedDraft = useRef<number | null>(null);
  const pendingSubmits = useRef(new Map<string, Promise<Annotation>>());
  useEffect(() => {
    if (!task) return;
    started.current = Date.now();
    draftIds.current = resumedDrafts(task, me);
    const begin = startingPoint(task, me);
    resumedDraft.current = begin?.kind === "draft" ? begin.draft.id : null;
    pendingSubmits.current.clear();
  }, [task, me]);
  const latest = useRef({ onSaved, onDraft });
  latest.current = { onSaved, onDraft };

  const handlers = useMemo<EditorHandlers | undefined>(() => {
    if (!task) return undefined;
    const leadTime = () => (Date.now() - started.current) / 1000;
    // The draft an annotation continues: saved earlier here, loaded with the task, or (for the
    // new annotation) the draft it was started from.
    const draftOf = (annotation: LsfAnnotation | null) => {
      if (!annotation) return undefined;
      return draftIds.current.get(annotation.id) ?? (annotation.pk ? undefined : (resumedDraft.current ?? undefined));
    };
    const body = (annotation: LsfAnnotation | null, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ result: annotation?.serializeAnnotation() ?? [], lead_time: leadTime(), draft_id: draftOf(annotation), ...extra });
    const create = (annotation: LsfAnnotation | null, extra: Record<string, unknown> = {}) =>
      api<Annotation>(`/api/tasks/${task.id}/annotations/?project=${projectId}`, { method: "POST", body: body(annotation, extra) });
    // The primary key of an annotation: set by the editor, or by a submit still on its way.
    const pkOf = async (annotation: LsfAnnotation) => annotation.pk ?? (await pendingSubmits.current.get(annotation.id)?.catch(() => null))?.id ?? null;
    // Saving an annotation deletes the draft it continued (the server does, given `draft_id`).
    const forget = (annotation: LsfAnnotation | null, wasNew: boolean) => {
      if (annotation) draftIds.current.delete(annotation.id);
      if (wasNew) resumedDraft.current = null;
    };
    return {
      async submit(annotation) {
        const pending = create(annotation);
        pendingSubmits.current.set(annotation.id, pending);
        const created = await pending.finally(() => pendingSubmits.current.delete(annotation.id));
        annotation.updatePersonalKey(String(created.id));
        forget(annotation, true);
        latest.current.onSaved("submitted", `Task ${task.id} submitted.`);
      },
      async update(annotation) {
        const pk = await pkOf(annotation);
        if (pk === null) {
          // The submit failed: this click submits again.
          const created = await create(annotation);
          annotation.updatePersonalKey(String(created.id));
        } else {
          await api(`/api/annotations/${pk}/`, { method: "PATCH", body: body(annotation) });
        }
        forget(annotation, pk === null);
        latest.current.onSaved("updated", `Annotation of task ${task.id} updated.`);
      },
      async skip(annotation) {
        const pk = annotation ? await pkOf(annotation) : null;
        // Skipping an annotation the user already submitted marks it cancelled (as Label Studio).
        if (pk !== null) await api(`/api/annotations/${pk}/`, { method: "PATCH", body: body(annotation, { was_cancelled: true }) });
        else await create(annotation, { was_cancelled: true });
        forget(annotation, pk === null);
        latest.current.onSaved("skipped", `Task ${task.id} skipped.`);
      },
      async saveDraft(annotation) {
        const payload = JSON.stringify({ result: annotation.serializeAnnotation(), lead_time: leadTime() });
        const known = draftOf(annotation);
        let draft: Draft;
        if (known) draft = await api<Draft>(`/api/drafts/${known}/`, { method: "PATCH", body: payload });
        else if (annotation.pk) draft = await api<Draft>(`/api/tasks/${task.id}/annotations/${annotation.pk}/drafts`, { method: "POST", body: payload });
        else draft = await api<Draft>(`/api/tasks/${task.id}/drafts`, { method: "POST", body: payload });
        draftIds.current.set(annotation.id, draft.id);
        latest.current.onDraft("Draft saved.");
      },
    };
  }, [task, projectId]);
  const elapsed = () => (Date.now() - started.current) / 1000;
  return { handlers, elapsed };
}

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, ApiError, fetchProject, refreshProject, type Me, type TaskDetail } from "../api";
import { Editor } from "../components/Editor";
import { NotFound, ProjectProblem } from "../components/NotFound";
import { useAnnotationHandlers } from "../annotationHandlers";
import { useInteractiveBackend } from "../interactive";
import { authorId, historySpot, ownSkip, parseSelection, startingPoint, toLsfTask } from "../labeling";
import { cleanInstructions, taskDataSanitizer } from "../sanitize";
import { nextTaskUrl, type View } from "../dm/query";
import { loadLabelStudio, type LsfStore } from "../lsf";

/**
 * Labeling: the next task of the stream (the project's, a tab's or a selection's), or one task
 * given by `?task=` (a shareable link). Submit, update, skip, drafts saved as the user works.
 */
export function Labeling({ me }: { me: Me }) {
  const { id = "" } = useParams();
  // Keyed by project: nothing of one project's stream carries over to another's.
  return /^\d+$/.test(id) ? <LabelingPage key={id} projectId={Number(id)} me={me} /> : <NotFound />;
}

type Loaded = { task: TaskDetail } | { done: true } | null;

function LabelingPage({ projectId, me }: { projectId: number; me: Me }) {
  const [params, setParams] = useSearchParams();
  const queries = useQueryClient();
  const rawTask = params.get("task");
  const taskParam = rawTask && /^\d+$/.test(rawTask) ? rawTask : null;
  const tab = params.get("tab");
  const selParam = params.get("sel");
  const selection = parseSelection(selParam);
  const project = useQuery({ queryKey: ["project", String(projectId)], queryFn: () => fetchProject(projectId) });
  const view = useQuery({
    queryKey: ["view", tab],
    queryFn: () => api<View>(`/api/dm/views/${tab}/`),
    enabled: !!tab && !!selection,
    // Read fresh once on entry; a refetch later (window focus) must not reload the task.
    refetchOnMount: "always",
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
  const [loaded, setLoaded] = useState<Loaded>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // The user's whole labeling history in this project, kept by the server.
  const history = useQuery({
    queryKey: ["stream-history", projectId],
    queryFn: () => api<{ taskId: number; annotationId: number | null }[]>(`/api/projects/${projectId}/label-stream-history/`),
  });
  const store = useRef<LsfStore | null>(null);
  const [showInstructions, setShowInstructions] = useState(true);
  const requests = useRef(0);
  // The editor's bundle loads while the project and the task are fetched.
  useEffect(() => void loadLabelStudio().catch(() => undefined), []);

  const problem = rawTask && !taskParam
    ? "The task in the address is not a task id."
    : selParam && !selection
      ? "The selection in the address is malformed."
      : selection && !tab
        ? "A selection needs its tab (tab= in the address)."
        : view.error?.message ?? null;
  const streamUrl = problem || taskParam
    ? null
    : selection
      ? view.data && view.isFetchedAfterMount ? nextTaskUrl(projectId, view.data, selection) : null
      : nextTaskUrl(projectId, tab ? Number(tab) : null, null);

  const load = useCallback(async () => {
    const url = taskParam ? `/api/tasks/${taskParam}/` : streamUrl;
    if (!url) return;
    // Only the latest request may show its task (a slower, older one is dropped).
    const request = ++requests.current;
    setError(null);
    setLoaded(null);
    try {
      const task = await api<TaskDetail>(url);
      if (request !== requests.current) return;
      setLoaded({ task });
      queries.invalidateQueries({ queryKey: ["stream-history", projectId] });
    } catch (e) {
      if (request !== requests.current) return;
      if (e instanceof ApiError && e.status === 404 && !taskParam) setLoaded({ done: true });
      else setError((e as Error).message);
    }
  }, [taskParam, streamUrl, me, queries, projectId]);

  useEffect(() => {
    load();
  }, [load]);

  const task = loaded && "task" in loaded ? loaded.task : null;
  const config = project.data?.label_config ?? "";
  const lsfTask = useMemo(() => (task ? toLsfTask(task, me, taskDataSanitizer(config)) : null), [task, me, config]);
  const interactive = useInteractiveBackend(projectId, task?.id ?? null);
  const start = useMemo(() => (task ? startingPoint(task, me) : null), [task, me]);

  const afterSave = useCallback(
    (message: string, reload: boolean) => {
      refreshProject(queries, projectId);
      setNotice(message);
      if (reload) load();
    },
    [queries, projectId, load],
  );

  const { handlers, elapsed } = useAnnotationHandlers(
    task,
    projectId,
    me,
    (what, message) => afterSave(message, what !== "updated" && (what === "skipped" || !taskParam)),
    setNotice,
  );

  /** Takes back the user's skip: the task is theirs to label again. */
  const cancelSkip = async (annotation: number) => {
    try {
      await api(`/api/annotations/${annotation}/`, { method: "DELETE" });
      refreshProject(queries, projectId);
      setNotice(`Skip of task ${task?.id} cancelled.`);
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  /** Keeps the work so far in a postponed draft and moves on; the task comes back last. */
  const postpone = async () => {
    if (!task) return;
    const annotation = store.current?.annotationStore.selected ?? null;
    try {
      await api(`/api/tasks/${task.id}/drafts`, {
        method: "POST",
        body: JSON.stringify({ result: annotation?.serializeAnnotation() ?? [], lead_time: elapsed(), was_postponed: true }),
      });
      setNotice(`Task ${task.id} postponed.`);
      if (taskParam) setParams(within(null));
      else load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (project.isPending) return <p className="muted" role="status">Loading project…</p>;
  if (project.isError) return <ProjectProblem error={project.error} />;
  const p = project.data;
  const dataManager = `/projects/${projectId}/data${tab ? `?tab=${tab}` : ""}`;
  const spot = historySpot((history.data ?? []).map((h) => h.taskId), task?.id ?? null);
  const skip = task ? ownSkip(task, me) : undefined;
  // Postponing is for a task the user has not submitted yet: its work waits in a draft.
  const postponable = !!task && !task.annotations.some((a) => authorId(a) === me.id);
  const instructions = p.show_instruction && p.expert_instruction ? cleanInstructions(p.expert_instruction) : "";
  // Links within the stream keep its tab and selection.
  const within = (task: number | null) => {
    const next = new URLSearchParams(params);
    if (task === null) next.delete("task");
    else next.set("task", String(task));
    return next;
  };
  const shownError = problem ?? error;

  return (
    <section className="labeling">
      <div className="toolbar">
        <Link to={dataManager} className="button subtle">← Data Manager</Link>
        <h1>{p.title}</h1>
        {task && <span className="muted" data-testid="labeling-task">Task #{task.id}</span>}
        {instructions && <button onClick={() => setShowInstructions((s) => !s)} aria-expanded={showInstructions}>Instructions</button>}
        <nav className="history" aria-label="Labeling history">
          <Link className={spot.back === null ? "button disabled" : "button"} aria-disabled={spot.back === null} to={spot.back === null ? "#" : `?${within(spot.back)}`} onClick={(e) => (spot.back === null ? e.preventDefault() : setNotice(null))}>← Back</Link>
          {spot.position > 0 && <span className="muted" data-testid="history-position">{spot.position.toLocaleString("en-US")} of {spot.total.toLocaleString("en-US")}</span>}
          {spot.forward !== null ? (
            <Link className="button" to={`?${within(spot.forward)}`} onClick={() => setNotice(null)}>Forward →</Link>
          ) : (
            taskParam && <button onClick={() => { setNotice(null); setParams(within(null)); }}>Next task →</button>
          )}
        </nav>
        {skip && <button onClick={() => cancelSkip(skip.id)}>Cancel skip</button>}
        {postponable && handlers && <button onClick={postpone}>Postpone</button>}
      </div>
      {instructions && showInstructions && (
        <aside className="instructions" aria-label="Instructions" dangerouslySetInnerHTML={{ __html: instructions }} />
      )}
      <p className="muted hint">Ctrl+Enter submits · Ctrl+Space skips · Ctrl+Z undoes · number keys pick labels</p>
      {/* An error replaces the last success message: never both at once. */}
      {shownError ? <p className="error toast" role="alert">{shownError}</p> : notice && <p className="notice toast" role="status">{notice}</p>}
      {loaded && "done" in loaded ? (
        <div className="empty" data-testid="no-tasks">
          <h2>No more tasks</h2>
          <p>Every task in this queue is labeled or skipped by you, or taken by someone else right now.</p>
          <Link to={dataManager} className="button primary">Back to the Data Manager</Link>
        </div>
      ) : !lsfTask || interactive.pending ? (
        !shownError && <p className="muted" role="status">Loading the task…</p>
      ) : (
        <Editor
          config={p.label_config}
          task={lsfTask}
          me={me}
          mode="label"
          skippable={p.show_skip_button}
          start={start}
          instructions={instructions}
          handlers={handlers}
          onStore={(ready) => (store.current = ready)}
          interactive={interactive.backend}
        />
      )}
    </section>
  );
}

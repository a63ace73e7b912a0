import { useQuery, useQueryClient } from "@tanstack/react-query";
import DOMPurify from "dompurify";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, ApiError, fetchProject, type Annotation, type Draft, type Me, type TaskDetail } from "../api";
import { Editor, type EditorHandlers } from "../components/Editor";
import { NotFound } from "../components/NotFound";
import { parseSelection, startingPoint, toLsfTask } from "../labeling";
import { nextTaskUrl, type View } from "../dm/query";
import { loadLabelStudio, type LsfAnnotation } from "../lsf";

/**
 * Labeling: the next task of the stream (the project's, a tab's or a selection's), or one task
 * given by `?task=` (a shareable link). Submit, update, skip, drafts saved as the user works.
 */
export function Labeling({ me }: { me: Me }) {
  const { id = "" } = useParams();
  return /^\d+$/.test(id) ? <LabelingPage projectId={Number(id)} me={me} /> : <NotFound />;
}

type Loaded = { task: TaskDetail } | { done: true } | null;

function LabelingPage({ projectId, me }: { projectId: number; me: Me }) {
  const [params, setParams] = useSearchParams();
  const queries = useQueryClient();
  const taskParam = params.get("task");
  const tab = params.get("tab");
  const selection = parseSelection(params.get("sel"));
  const project = useQuery({ queryKey: ["project", String(projectId)], queryFn: () => fetchProject(projectId) });
  const view = useQuery({
    queryKey: ["view", tab],
    queryFn: () => api<View>(`/api/dm/views/${tab}/`),
    enabled: !!tab && !!selection,
  });
  const [loaded, setLoaded] = useState<Loaded>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [history, setHistory] = useState<number[]>([]);
  const [showInstructions, setShowInstructions] = useState(true);
  const started = useRef(Date.now());
  // The editor's bundle loads while the project and the task are fetched.
  useEffect(() => void loadLabelStudio().catch(() => undefined), []);
  const draftIds = useRef(new Map<string, number>());

  const streamUrl = selection ? (view.data ? nextTaskUrl(projectId, view.data, selection) : null) : nextTaskUrl(projectId, tab ? Number(tab) : null, null);

  const load = useCallback(async () => {
    setError(null);
    setLoaded(null);
    try {
      if (taskParam) {
        setLoaded({ task: await api<TaskDetail>(`/api/tasks/${taskParam}/`) });
      } else if (streamUrl) {
        setLoaded({ task: await api<TaskDetail>(streamUrl) });
      } else {
        return;
      }
      started.current = Date.now();
      draftIds.current.clear();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && !taskParam) setLoaded({ done: true });
      else setError((e as Error).message);
    }
  }, [taskParam, streamUrl]);

  useEffect(() => {
    load();
  }, [load]);

  const task = loaded && "task" in loaded ? loaded.task : null;
  const lsfTask = useMemo(() => (task ? toLsfTask(task, me) : null), [task, me]);
  const start = useMemo(() => (task ? startingPoint(task, me) : null), [task, me]);
  useEffect(() => {
    if (task) setHistory((h) => (h[h.length - 1] === task.id ? h : [...h.slice(-99), task.id]));
  }, [task]);

  const afterSave = useCallback(
    (message: string) => {
      queries.invalidateQueries({ queryKey: ["tasks", String(projectId)] });
      queries.invalidateQueries({ queryKey: ["project", String(projectId)] });
      queries.invalidateQueries({ queryKey: ["projects"] });
      setNotice(message);
      if (!taskParam) load();
    },
    [queries, projectId, taskParam, load],
  );

  const handlers = useMemo<EditorHandlers | undefined>(() => {
    if (!task) return undefined;
    const leadTime = () => (Date.now() - started.current) / 1000;
    const draftOf = (annotation: LsfAnnotation | null) => (annotation ? draftIds.current.get(annotation.id) : undefined);
    return {
      async submit(annotation) {
        const body = { result: annotation.serializeAnnotation(), lead_time: leadTime(), draft_id: draftOf(annotation) };
        const created = await api<Annotation>(`/api/tasks/${task.id}/annotations/?project=${projectId}`, { method: "POST", body: JSON.stringify(body) });
        annotation.updatePersonalKey(String(created.id));
        draftIds.current.delete(annotation.id);
        afterSave(`Task ${task.id} submitted.`);
      },
      async update(annotation) {
        const body = { result: annotation.serializeAnnotation(), lead_time: leadTime(), draft_id: draftOf(annotation) };
        await api(`/api/annotations/${annotation.pk}/`, { method: "PATCH", body: JSON.stringify(body) });
        draftIds.current.delete(annotation.id);
        afterSave(`Annotation of task ${task.id} updated.`);
      },
      async skip(annotation) {
        const body = { result: annotation?.serializeAnnotation() ?? [], was_cancelled: true, lead_time: leadTime(), draft_id: draftOf(annotation) };
        await api(`/api/tasks/${task.id}/annotations/?project=${projectId}`, { method: "POST", body: JSON.stringify(body) });
        afterSave(`Task ${task.id} skipped.`);
      },
      async saveDraft(annotation) {
        const body = JSON.stringify({ result: annotation.serializeAnnotation(), lead_time: leadTime() });
        const known = draftOf(annotation) ?? (start?.kind === "draft" && !annotation.pk ? start.draft.id : undefined);
        let draft: Draft;
        if (known) draft = await api<Draft>(`/api/drafts/${known}/`, { method: "PATCH", body });
        else if (annotation.pk) draft = await api<Draft>(`/api/tasks/${task.id}/annotations/${annotation.pk}/drafts`, { method: "POST", body });
        else draft = await api<Draft>(`/api/tasks/${task.id}/drafts`, { method: "POST", body });
        draftIds.current.set(annotation.id, draft.id);
        setNotice("Draft saved.");
      },
    };
  }, [task, projectId, afterSave, start]);

  if (project.isPending) return <p className="muted" role="status">Loading project…</p>;
  if (project.isError) return <p className="error" role="alert">{project.error.message}</p>;
  const p = project.data;
  const dataManager = `/projects/${projectId}/data${tab ? `?tab=${tab}` : ""}`;
  const previous = history.length > 1 ? history[history.length - 2] : null;
  const instructions = p.show_instruction && p.expert_instruction ? DOMPurify.sanitize(p.expert_instruction) : "";

  return (
    <section className="labeling">
      <div className="toolbar">
        <Link to={dataManager} className="button subtle">← Data Manager</Link>
        <h1>{p.title}</h1>
        {task && <span className="muted" data-testid="labeling-task">Task #{task.id}{task.queue ? ` · ${task.queue}` : ""}</span>}
        {instructions && <button onClick={() => setShowInstructions((s) => !s)} aria-expanded={showInstructions}>Instructions</button>}
        {previous !== null && !taskParam && <Link className="button" to={`?task=${previous}${tab ? `&tab=${tab}` : ""}`}>Previous task</Link>}
        {taskParam && <button onClick={() => setParams(tab ? { tab } : {})}>Next task</button>}
      </div>
      {instructions && showInstructions && (
        <aside className="instructions" aria-label="Instructions" dangerouslySetInnerHTML={{ __html: instructions }} />
      )}
      <p className="muted hint">Ctrl+Enter submits · Ctrl+Space skips · Ctrl+Z undoes · number keys pick labels</p>
      {notice && <p className="notice" role="status">{notice}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      {loaded && "done" in loaded ? (
        <div className="empty" data-testid="no-tasks">
          <h2>No more tasks</h2>
          <p>Every task in this queue is labeled or skipped by you, or taken by someone else right now.</p>
          <Link to={dataManager} className="button primary">Back to the Data Manager</Link>
        </div>
      ) : !lsfTask ? (
        !error && <p className="muted" role="status">Loading the task…</p>
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
        />
      )}
    </section>
  );
}

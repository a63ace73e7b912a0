import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { can } from "../access";
import { api, refreshProject, type Me, type TaskDetail } from "../api";
import { useAnnotationHandlers } from "../annotationHandlers";
import { useInteractiveBackend } from "../interactive";
import { Editor } from "../components/Editor";
import { startingPoint, toLsfTask } from "../labeling";
import { plural } from "../lib";
import { taskDataSanitizer } from "../sanitize";

/**
 * The quick view beside the table: one task in the editor, labeled right there by those who
 * label (submit, update, skip, drafts), read-only for the others.
 */
export function Preview({ projectId, taskId, config, me, tab, skippable, onClose }: {
  projectId: number;
  taskId: number;
  config: string;
  me: Me;
  tab: number;
  skippable: boolean;
  onClose(): void;
}) {
  const queries = useQueryClient();
  const [notice, setNotice] = useState<string | null>(null);
  const task = useQuery({ queryKey: ["preview", taskId], queryFn: () => api<TaskDetail>(`/api/tasks/${taskId}/`) });
  const lsfTask = useMemo(() => (task.data ? toLsfTask(task.data, me, taskDataSanitizer(config)) : null), [task.data, me, config]);
  const start = useMemo(() => (task.data ? startingPoint(task.data, me) : null), [task.data, me]);
  const labels = can(me, "annotations.create");
  const interactive = useInteractiveBackend(projectId, taskId, labels);
  const { handlers } = useAnnotationHandlers(
    labels ? (task.data ?? null) : null,
    projectId,
    me,
    (_, message) => {
      setNotice(message);
      // The table's counters and this task's annotations follow the save.
      refreshProject(queries, projectId);
    },
    setNotice,
  );
  return (
    <aside className="preview" aria-label={`Task ${taskId}`}>
      <div className="preview-bar">
        <strong>Task #{taskId}</strong>
        {task.data && <span className="muted">{plural(task.data.annotations.length, "annotation")} · {plural(task.data.predictions.length, "prediction")}</span>}
        <Link className="button" to={`/projects/${projectId}/label?task=${taskId}&tab=${tab}`}>Open in labeling</Link>
        <button className="subtle" aria-label="Close preview" onClick={onClose}>×</button>
      </div>
      {notice && <p className="notice" role="status" data-testid="preview-notice">{notice}</p>}
      {task.isPending || interactive.pending ? (
        <p className="muted" role="status">Loading task…</p>
      ) : task.isError ? (
        <p className="error" role="alert">{task.error.message}</p>
      ) : (
        lsfTask && (labels ? (
          <Editor config={config} task={lsfTask} me={me} mode="quick" skippable={skippable} start={start} handlers={handlers} interactive={interactive.backend} />
        ) : (
          <Editor config={config} task={lsfTask} me={me} mode="preview" />
        ))
      )}
    </aside>
  );
}

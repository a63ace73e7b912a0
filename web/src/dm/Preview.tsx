import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link } from "react-router-dom";
import { api, type Me, type TaskDetail } from "../api";
import { Editor } from "../components/Editor";
import { toLsfTask } from "../labeling";
import { taskDataSanitizer } from "../sanitize";

/** The side panel: one task rendered read-only by the editor, with its annotations and predictions. */
export function Preview({ projectId, taskId, config, me, tab, onClose }: {
  projectId: number;
  taskId: number;
  config: string;
  me: Me;
  tab: number;
  onClose(): void;
}) {
  const task = useQuery({ queryKey: ["preview", taskId], queryFn: () => api<TaskDetail>(`/api/tasks/${taskId}/`) });
  const lsfTask = useMemo(() => (task.data ? toLsfTask(task.data, me, taskDataSanitizer(config)) : null), [task.data, me, config]);
  return (
    <aside className="preview" aria-label={`Task ${taskId}`}>
      <div className="preview-bar">
        <strong>Task #{taskId}</strong>
        {task.data && <span className="muted">{task.data.annotations.length} annotations · {task.data.predictions.length} predictions</span>}
        <Link className="button primary" to={`/projects/${projectId}/label?task=${taskId}&tab=${tab}`}>Label</Link>
        <button className="subtle" aria-label="Close preview" onClick={onClose}>×</button>
      </div>
      {task.isPending ? (
        <p className="muted" role="status">Loading task…</p>
      ) : task.isError ? (
        <p className="error" role="alert">{task.error.message}</p>
      ) : (
        lsfTask && <Editor config={config} task={lsfTask} me={me} mode="preview" />
      )}
    </aside>
  );
}

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, type Project, type TaskList } from "../api";
import { pageCount, snippet } from "../lib";

const PAGE_SIZE = 50;

/** A project's task table (the first cut of the Data Manager) with file import. */
export function ProjectTasks() {
  const { id = "" } = useParams();
  return /^\d+$/.test(id) ? <TaskTable id={id} /> : <p>Nothing here. <Link to="/projects">Back to projects</Link></p>;
}

function TaskTable({ id }: { id: string }) {
  const [params, setParams] = useSearchParams();
  const page = Number(params.get("page") ?? "1");
  const queries = useQueryClient();
  const project = useQuery({ queryKey: ["project", id], queryFn: () => api<Project>(`/api/projects/${id}/`) });
  const tasks = useQuery({
    queryKey: ["tasks", id, page],
    queryFn: () => api<TaskList>(`/api/tasks/?project=${id}&page=${page}&page_size=${PAGE_SIZE}`),
    placeholderData: keepPreviousData,
  });
  const upload = useMutation({
    mutationFn: (files: File[]) => {
      const form = new FormData();
      files.forEach((f) => form.append(f.name, f));
      return api(`/api/projects/${id}/import`, { method: "POST", body: form });
    },
    onSuccess: () => {
      queries.invalidateQueries({ queryKey: ["tasks", id] });
      queries.invalidateQueries({ queryKey: ["project", id] });
      queries.invalidateQueries({ queryKey: ["projects"] });
    },
  });
  if (project.isPending) return <p className="muted" role="status">Loading project…</p>;
  if (project.isError) return <p className="error" role="alert">{project.error.message}</p>;
  const keys = Array.from(new Set((tasks.data?.tasks ?? []).flatMap((t) => Object.keys(t.data)))).slice(0, 4);
  const pages = pageCount(tasks.data?.total ?? 0, PAGE_SIZE);
  return (
    <section>
      <div className="toolbar">
        <h1>{project.data.title}</h1>
        <span className="muted" data-testid="counters">
          {project.data.task_number ?? 0} tasks · {project.data.total_annotations_number ?? 0} annotations · {project.data.total_predictions_number ?? 0} predictions
        </span>
        <Link to={`/projects/${id}/members`} className="button">Members</Link>
        <label className="button">
          Import files
          <input
            type="file"
            multiple
            className="visually-hidden"
            accept=".json,.jsonl,.csv,.tsv,.txt"
            onChange={(e) => {
              // Copied before the input is cleared (so that the same file can be chosen again).
              const files = Array.from(e.target.files ?? []);
              e.target.value = "";
              if (files.length) upload.mutate(files);
            }}
          />
        </label>
      </div>
      {upload.isPending && <p className="muted" role="status">Importing…</p>}
      {upload.isError && <p className="error" role="alert">{upload.error.message}</p>}
      {tasks.isPending ? (
        <p className="muted" role="status">Loading tasks…</p>
      ) : tasks.isError ? (
        <p className="error" role="alert">{tasks.error.message}</p>
      ) : tasks.data.tasks.length === 0 ? (
        <div className="empty"><p>No tasks yet. Import a JSON, CSV, TSV or TXT file.</p></div>
      ) : (
        <>
          <table className="tasks">
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Completed</th>
                <th scope="col">Annotations</th>
                <th scope="col">Cancelled</th>
                <th scope="col">Predictions</th>
                {keys.map((k) => <th scope="col" key={k}>{k}</th>)}
              </tr>
            </thead>
            <tbody>
              {tasks.data.tasks.map((task) => (
                <tr key={task.id}>
                  <td>{task.id}</td>
                  <td>{task.completed_at ? new Date(task.completed_at).toLocaleString() : ""}</td>
                  <td>{task.total_annotations}</td>
                  <td>{task.cancelled_annotations}</td>
                  <td>{task.total_predictions}</td>
                  {keys.map((k) => <td key={k} title={snippet(task.data[k], 500)}>{snippet(task.data[k])}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages">
            <button disabled={page <= 1} onClick={() => setParams({ page: String(page - 1) })}>Previous</button>
            <span>Page {page} of {pages} · {tasks.data.total} tasks</span>
            <button disabled={page >= pages} onClick={() => setParams({ page: String(page + 1) })}>Next</button>
          </nav>
        </>
      )}
    </section>
  );
}

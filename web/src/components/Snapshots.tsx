import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api";
import { plural, timeAgo } from "../lib";

/** An export snapshot as `/api/projects/{id}/exports/` lists it (the fields the panel reads). */
export interface Snapshot {
  id: number;
  title: string;
  status: "created" | "in_progress" | "failed" | "completed";
  created_at: string;
  counters: { task_number?: number };
  converted_formats: { id: number; status: string; export_type: string }[];
}

/** A snapshot's state in words. */
export function snapshotStatus(snapshot: Snapshot, now = Date.now()): string {
  switch (snapshot.status) {
    case "completed":
      return `${plural(snapshot.counters.task_number ?? 0, "task")} · made ${timeAgo(snapshot.created_at, now)}`;
    case "failed":
      return "Failed";
    default:
      return snapshot.counters.task_number ? `Being made… ${plural(snapshot.counters.task_number, "task")} so far` : "Being made…";
  }
}

/**
 * The project's export snapshots: files made in the background (big projects do not time out),
 * kept until deleted, downloaded in the chosen `format`.
 */
export function Snapshots({ projectId, format, onlyAnnotated }: { projectId: number; format: string; onlyAnnotated: boolean }) {
  const queries = useQueryClient();
  const base = `/api/projects/${projectId}/exports`;
  const snapshots = useQuery({
    queryKey: ["snapshots", projectId],
    queryFn: () => api<Snapshot[]>(`${base}/`),
    // A snapshot being made is followed until it is done.
    refetchInterval: (query) => (query.state.data?.some((s) => s.status === "created" || s.status === "in_progress") ? 1000 : false),
  });
  const refresh = () => queries.invalidateQueries({ queryKey: ["snapshots", projectId] });
  const create = useMutation({
    mutationFn: () => api(`${base}/`, { method: "POST", body: JSON.stringify({ task_filter_options: { only_with_annotations: onlyAnnotated } }) }),
    onSettled: refresh,
  });
  const remove = useMutation({ mutationFn: (id: number) => api(`${base}/${id}`, { method: "DELETE" }), onSettled: refresh });
  const convert = useMutation({
    mutationFn: (id: number) => api(`${base}/${id}/convert`, { method: "POST", body: JSON.stringify({ export_type: format }) }),
    onSettled: refresh,
  });
  return (
    <section aria-label="Snapshots" className="snapshots">
      <h3>Snapshots</h3>
      <p className="muted">A snapshot keeps the project's tasks as they are now; it is made in the background and can be downloaded later in any format.</p>
      {snapshots.isError && <p className="error" role="alert">{snapshots.error.message}</p>}
      {create.isError && <p className="error" role="alert">{create.error.message}</p>}
      {remove.isError && <p className="error" role="alert">{remove.error.message}</p>}
      {convert.isError && <p className="error" role="alert">{convert.error.message}</p>}
      {!!snapshots.data?.length && (
        <ul className="list compact">
          {snapshots.data.map((s) => (
            <li key={s.id} data-testid="snapshot">
              <span>
                <strong>{s.title}</strong>
                <br />
                <span className="muted" role="status">{snapshotStatus(s)}</span>
                {!!s.converted_formats.length && (
                  <span className="muted"> · converted: {s.converted_formats.map((c) => `${c.export_type} (${c.status.replace("_", " ")})`).join(", ")}</span>
                )}
              </span>
              <span className="actions">
                {s.status === "completed" && format !== "JSON" && !s.converted_formats.some((c) => c.export_type === format && c.status !== "failed") && (
                  <button onClick={() => convert.mutate(s.id)} disabled={convert.isPending} title="Keep a converted copy beside the snapshot">Convert to {format}</button>
                )}
                {s.status === "completed" && (
                  <a className="button" href={`${base}/${s.id}/download?exportType=${encodeURIComponent(format)}`} download>
                    Download {format}
                  </a>
                )}
                <button className="danger" onClick={() => remove.mutate(s.id)} disabled={remove.isPending}>Delete</button>
              </span>
            </li>
          ))}
        </ul>
      )}
      <div className="actions start">
        <button onClick={() => create.mutate()} disabled={create.isPending}>{create.isPending ? "Creating…" : "Create snapshot"}</button>
      </div>
    </section>
  );
}

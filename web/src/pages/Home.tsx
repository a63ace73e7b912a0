import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link } from "react-router-dom";
import { can } from "../access";
import { api, PROJECT_FIELDS, type Me, type Page, type Project } from "../api";
import { displayName } from "../labeling";
import { plural, progress } from "../lib";
import { preloadLabelStudio } from "../lsf";

/** A project with the caller's own queue: tasks for them and the ones they finished. */
type Queued = Project & { queue_total: number; queue_done: number };

const RECENT = 8;

/** The home page: the user's pending work first, then the projects changed most recently. */
export function Home({ me }: { me: Me }) {
  // Most visits go on to label: the editor loads while the page is idle.
  useEffect(preloadLabelStudio, []);
  const recent = useQuery({
    queryKey: ["projects", "recent"],
    queryFn: () => api<Page<Queued>>(`/api/projects/?page_size=${RECENT}&ordering=-updated_at&include=${PROJECT_FIELDS},queue_total,queue_done`),
  });
  const browses = can(me, "views.view");
  const projects = recent.data?.results ?? [];
  const pending = projects.filter((p) => p.queue_total - p.queue_done > 0);
  const name = displayName(me);
  return (
    <section className="home">
      <div className="toolbar">
        <h1>Welcome{name !== me.email ? `, ${name}` : ""}</h1>
        {can(me, "projects.create") && projects.length > 0 && <Link to="/projects/new" className="button primary">Create project</Link>}
      </div>
      {recent.isPending ? (
        <p className="muted" role="status">Loading…</p>
      ) : recent.isError ? (
        <p className="error" role="alert">{recent.error.message}</p>
      ) : (
        <div className="home-grid">
          <div>
            <h2>Your work</h2>
            {pending.length === 0 ? (
              <p className="muted" data-testid="no-pending-work">Nothing is waiting for you{projects.length ? " in these projects" : ""}.</p>
            ) : (
              <ul className="list" aria-label="Your work">
                {pending.map((p) => (
                  <li key={p.id}>
                    <span>
                      <strong>{p.title || "Untitled project"}</strong>
                      <span className="muted"> · {plural(p.queue_total - p.queue_done, "task")} left for you</span>
                    </span>
                    <Link className="button primary" to={`/projects/${p.id}/label`}>Label</Link>
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div>
            <h2>Recent projects</h2>
            {projects.length === 0 ? (
              <div className="empty">
                <p>No projects yet.</p>
                {can(me, "projects.create") && <Link to="/projects/new" className="button primary">Create your first project</Link>}
              </div>
            ) : (
              <ul className="list" aria-label="Recent projects">
                {projects.map((p) => (
                  <li key={p.id} className="recent">
                    <Link to={`/projects/${p.id}/${browses ? "data" : "label"}`}>{p.title || "Untitled project"}</Link>
                    <span className="muted">{plural(p.task_number ?? 0, "task")} · {progress(p)}% done</span>
                  </li>
                ))}
              </ul>
            )}
            <p><Link to="/projects">All projects →</Link></p>
          </div>
        </div>
      )}
    </section>
  );
}

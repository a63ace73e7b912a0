import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router-dom";
import { api, type Page, type Project } from "../api";
import { pageCount, progress } from "../lib";

const PAGE_SIZE = 30;

/** The projects list: cards with counts and progress, search by title, pages. */
export function Projects() {
  const [params, setParams] = useSearchParams();
  const page = Number(params.get("page") ?? "1");
  const search = params.get("search") ?? "";
  const projects = useQuery({
    queryKey: ["projects", page, search],
    queryFn: () => api<Page<Project>>(`/api/projects/?page=${page}&page_size=${PAGE_SIZE}&title=${encodeURIComponent(search)}`),
    placeholderData: keepPreviousData,
  });
  const go = (next: Record<string, string>) => setParams({ ...Object.fromEntries(params), ...next });
  const pages = pageCount(projects.data?.count ?? 0, PAGE_SIZE);
  return (
    <section>
      <div className="toolbar">
        <h1>Projects</h1>
        <label className="search">
          <span className="visually-hidden">Search projects by title</span>
          <input type="search" placeholder="Search by title" value={search} onChange={(e) => go({ search: e.target.value, page: "1" })} />
        </label>
        <Link to="/projects/new" className="button primary">Create project</Link>
      </div>
      {projects.isPending ? (
        <p className="muted" role="status">Loading projects…</p>
      ) : projects.isError ? (
        <p className="error" role="alert">{projects.error.message}</p>
      ) : projects.data.results.length === 0 ? (
        <div className="empty">
          <p>{search ? `No project title contains “${search}”.` : "No projects yet."}</p>
          {!search && <Link to="/projects/new" className="button primary">Create your first project</Link>}
        </div>
      ) : (
        <>
          <ul className="cards">
            {projects.data.results.map((project) => (
              <li key={project.id} className="card" style={{ borderTopColor: project.color || "#e0e0e0" }}>
                <Link to={`/projects/${project.id}`} className="card-title">{project.title}</Link>
                <p className="muted">{project.description || "\u00a0"}</p>
                <dl className="counts">
                  <div><dt>Tasks</dt><dd>{project.task_number ?? 0}</dd></div>
                  <div><dt>Annotations</dt><dd>{project.total_annotations_number ?? 0}</dd></div>
                  <div><dt>Predictions</dt><dd>{project.total_predictions_number ?? 0}</dd></div>
                </dl>
                <div className="progress" role="progressbar" aria-valuenow={progress(project)} aria-valuemin={0} aria-valuemax={100} aria-label="Finished tasks">
                  <span style={{ width: `${progress(project)}%` }} />
                </div>
              </li>
            ))}
          </ul>
          <nav className="pager" aria-label="Pages">
            <button disabled={page <= 1} onClick={() => go({ page: String(page - 1) })}>Previous</button>
            <span>Page {page} of {pages}</span>
            <button disabled={page >= pages} onClick={() => go({ page: String(page + 1) })}>Next</button>
          </nav>
        </>
      )}
    </section>
  );
}

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { can, roleTitle, whoCanChange } from "../access";
import { api, PROJECT_FIELDS, type Me, type Page, type Project, type Workspace } from "../api";
import { articled, pageCount, progress } from "../lib";
import { preloadLabelStudio } from "../lsf";

const PAGE_SIZE = 30;

/** The projects list: a workspace sidebar, cards with counts and progress, search by title, pages. */
export function Projects({ me }: { me: Me }) {
  // A project is opened next, to label or to browse (whose preview needs the editor too).
  useEffect(preloadLabelStudio, []);
  const creates = can(me, "projects.create");
  // People who cannot browse the Data Manager (annotators) open a project to label it.
  const browses = can(me, "views.view");
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const search = params.get("search") ?? "";
  // What is typed shows at once; the address (and the query) follow once typing pauses.
  const [typed, setTyped] = useState(search);
  useEffect(() => setTyped(search), [search]);
  const workspace = params.get("workspace");
  const go = useCallback(
    (next: Record<string, string>, replace = false) => setParams({ ...Object.fromEntries(params), ...next }, { replace }),
    [params, setParams],
  );
  const workspaces = useQuery({ queryKey: ["workspaces"], queryFn: () => api<Workspace[]>("/api/workspaces/") });
  const all = useQuery({
    queryKey: ["projects", page, search],
    queryFn: () => api<Page<Project>>(`/api/projects/?page=${page}&page_size=${PAGE_SIZE}&title=${encodeURIComponent(search)}&include=${PROJECT_FIELDS}`),
    placeholderData: keepPreviousData,
    enabled: !workspace,
  });
  const inWorkspace = useQuery({
    queryKey: ["projects", "workspace", workspace],
    queryFn: () => api<Project[]>(`/api/workspaces/${workspace}/projects/`),
    enabled: !!workspace,
  });
  useEffect(() => {
    if (typed === search) return;
    const timer = setTimeout(() => go({ search: typed, page: "1" }, true), 250);
    return () => clearTimeout(timer);
  }, [typed, search, go]);
  const queries = useQueryClient();
  const pin = useMutation({
    mutationFn: (project: Project) =>
      api<Project>(`/api/projects/${project.id}/?include=${PROJECT_FIELDS}`, { method: "PATCH", body: JSON.stringify({ pinned_at: project.pinned_at ? null : new Date().toISOString() }) }),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["projects"] }),
  });
  const shown = workspace ? inWorkspace : all;
  const projects = workspace
    ? (inWorkspace.data ?? []).filter((p) => p.title.toLowerCase().includes(search.toLowerCase()))
    : all.data?.results ?? [];
  const pages = workspace ? 1 : pageCount(all.data?.count ?? 0, PAGE_SIZE);
  const choose = (id: string | null) => {
    const next = new URLSearchParams(params);
    if (id) next.set("workspace", id);
    else next.delete("workspace");
    next.set("page", "1");
    setParams(next);
  };
  return (
    <div className="with-sidebar">
      <nav className="sidebar" aria-label="Workspaces">
        <h2>Workspaces</h2>
        <button className={!workspace ? "chosen" : ""} aria-current={!workspace} onClick={() => choose(null)}>All projects</button>
        {(workspaces.data ?? []).map((w) => (
          <button key={w.id} className={workspace === String(w.id) ? "chosen" : ""} aria-current={workspace === String(w.id)} onClick={() => choose(String(w.id))}>
            <span className="dot" style={{ backgroundColor: w.color }} />
            {w.title}
            <span className="muted count">{w.projects_count}</span>
          </button>
        ))}
        {workspaces.isError && <p className="error">{workspaces.error.message}</p>}
      </nav>
      <section>
        <div className="toolbar">
          <h1>Projects</h1>
          <label className="search">
            <span className="visually-hidden">Search projects by title</span>
            <input type="search" placeholder="Search by title" value={typed} onChange={(e) => setTyped(e.target.value)} />
          </label>
          {creates && <Link to="/projects/new" className="button primary">Create project</Link>}
        </div>
        {pin.isError && <p className="error" role="alert">{pin.error.message}</p>}
        {shown.isPending ? (
          <p className="muted" role="status">Loading projects…</p>
        ) : shown.isError ? (
          <p className="error" role="alert">{shown.error.message}</p>
        ) : projects.length === 0 ? (
          <div className="empty">
            <p>{search ? `No project title contains “${search}”.` : workspace ? "No projects in this workspace." : "No projects yet."}</p>
            {!search && !workspace && (creates ? (
              <Link to="/projects/new" className="button primary">Create your first project</Link>
            ) : (
              <p className="muted" data-testid="no-projects-help">
                You are {articled(roleTitle(me))} in {me.active_organization_meta?.title ? `“${me.active_organization_meta.title}”` : "this organization"}: projects appear here once a manager adds you to one or to its workspace.
                To create projects yourself, ask {whoCanChange(me)} for the Manager role.
              </p>
            ))}
          </div>
        ) : (
          <>
            <ul className="cards">
              {projects.map((project) => (
                <li key={project.id} className="card" style={{ borderTopColor: project.color || "#e0e0e0" }}>
                  <div className="card-head">
                    <Link to={`/projects/${project.id}/${browses ? "data" : "label"}`} className="card-title">{project.title}</Link>
                    <button
                      className={project.pinned_at ? "pin pinned subtle" : "pin subtle"}
                      aria-pressed={!!project.pinned_at}
                      aria-label={project.pinned_at ? `Unpin ${project.title}` : `Pin ${project.title}`}
                      title={project.pinned_at ? "Unpin" : "Pin to the top"}
                      onClick={() => pin.mutate(project)}
                    >
                      {project.pinned_at ? "★" : "☆"}
                    </button>
                  </div>
                  <p className="muted">{project.description || "\u00a0"}</p>
                  <dl className="counts">
                    <div><dt>Tasks</dt><dd>{(project.task_number ?? 0).toLocaleString("en-US")}</dd></div>
                    <div><dt>Annotations</dt><dd>{(project.total_annotations_number ?? 0).toLocaleString("en-US")}</dd></div>
                    <div><dt>Predictions</dt><dd>{(project.total_predictions_number ?? 0).toLocaleString("en-US")}</dd></div>
                  </dl>
                  <div className="progress" role="progressbar" aria-valuenow={progress(project)} aria-valuemin={0} aria-valuemax={100} aria-label="Finished tasks">
                    <span style={{ width: `${progress(project)}%` }} />
                  </div>
                </li>
              ))}
            </ul>
            {!workspace && (
              <nav className="pager" aria-label="Pages">
                <button disabled={page <= 1} onClick={() => go({ page: String(page - 1) })}>Previous</button>
                <span>Page {page} of {pages}</span>
                <button disabled={page >= pages} onClick={() => go({ page: String(page + 1) })}>Next</button>
              </nav>
            )}
          </>
        )}
      </section>
    </div>
  );
}

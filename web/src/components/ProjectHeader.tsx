import { NavLink } from "react-router-dom";
import type { Project } from "../api";

/** A project's pages; ML, webhooks and storage settings join this list when they exist. */
const PROJECT_PAGES = [
  { path: "data", title: "Data Manager" },
  { path: "settings", title: "Settings" },
  { path: "members", title: "Members" },
];

/** The project's title and its page navigation, above every project page. */
export function ProjectHeader({ project, children }: { project: Project; children?: React.ReactNode }) {
  return (
    <div className="project-header">
      <h1>{project.title || "Untitled project"}</h1>
      <nav aria-label="Project" className="tabs-nav">
        {PROJECT_PAGES.map((page) => (
          <NavLink key={page.path} to={`/projects/${project.id}/${page.path}`}>{page.title}</NavLink>
        ))}
      </nav>
      {children}
    </div>
  );
}

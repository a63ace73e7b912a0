import { NavLink } from "react-router-dom";
import { can, type Permission } from "../access";
import type { Me, Project } from "../api";

/** A project's pages and the permission each needs; ML, webhooks and storage settings join this
 * list when they exist. */
const PROJECT_PAGES: { path: string; title: string; needs?: Permission }[] = [
  { path: "data", title: "Data Manager", needs: "views.view" },
  { path: "label", title: "Label" },
  { path: "settings", title: "Settings", needs: "projects.change" },
  { path: "members", title: "Members" },
];

/** The project's title and the pages of it the user may open, above every project page. */
export function ProjectHeader({ project, me, children }: { project: Project; me: Me; children?: React.ReactNode }) {
  return (
    <div className="project-header">
      <h1>{project.title || "Untitled project"}</h1>
      <nav aria-label="Project" className="tabs-nav">
        {PROJECT_PAGES.filter((page) => !page.needs || can(me, page.needs)).map((page) => (
          <NavLink key={page.path} to={`/projects/${project.id}/${page.path}`}>{page.title}</NavLink>
        ))}
      </nav>
      {children}
    </div>
  );
}

import { useQuery } from "@tanstack/react-query";
import { Link, Navigate, NavLink, Route, Routes } from "react-router-dom";
import { api, type Me } from "./api";
import { Account } from "./pages/Account";
import { CreateProject } from "./pages/CreateProject";
import { Organization } from "./pages/Organization";
import { ProjectMembers } from "./pages/ProjectMembers";
import { ProjectTasks } from "./pages/ProjectTasks";
import { Projects } from "./pages/Projects";

/** The signed-in shell: header navigation and the pages. */
export function App() {
  const me = useQuery({ queryKey: ["me"], queryFn: () => api<Me>("/api/current-user/whoami") });
  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/projects" className="brand">Tessera</Link>
        <nav aria-label="Main">
          <NavLink to="/projects">Projects</NavLink>
          <NavLink to="/organization">People</NavLink>
          <NavLink to="/account">Account</NavLink>
        </nav>
        <span className="who">{me.data?.email}</span>
        <a href="/logout/" className="button subtle">Log out</a>
      </header>
      <main>
        {me.isPending ? (
          <p className="muted" role="status">Loading…</p>
        ) : me.isError ? (
          <p className="error" role="alert">{me.error.message}</p>
        ) : (
          <Routes>
            <Route path="/" element={<Navigate to="/projects" replace />} />
            <Route path="/projects" element={<Projects />} />
            <Route path="/projects/new" element={<CreateProject />} />
            <Route path="/projects/:id" element={<ProjectTasks />} />
            <Route path="/projects/:id/members" element={<ProjectMembers />} />
            <Route path="/organization" element={<Organization me={me.data} />} />
            <Route path="/account" element={<Account me={me.data} />} />
            <Route path="*" element={<p>Nothing here. <Link to="/projects">Back to projects</Link></p>} />
          </Routes>
        )}
      </main>
    </div>
  );
}

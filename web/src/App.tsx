import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { applyTheme, savedTheme, type Theme } from "./theme";
import { Link, Navigate, NavLink, Route, Routes, useParams } from "react-router-dom";
import { api, type Me } from "./api";
import { NotFound } from "./components/NotFound";
import { DataManager } from "./dm/DataManager";
import { Account } from "./pages/Account";
import { CreateProject } from "./pages/CreateProject";
import { Home } from "./pages/Home";
import { Labeling } from "./pages/Labeling";
import { Organization } from "./pages/Organization";
import { OrganizationWebhooks } from "./pages/Webhooks";
import { ProjectMembers } from "./pages/ProjectMembers";
import { Projects } from "./pages/Projects";
import { Settings } from "./pages/Settings";

/** `/projects/:id` opens the project's Data Manager. */
function ProjectHome() {
  const { id = "" } = useParams();
  return <Navigate to={`/projects/${id}/data`} replace />;
}

/** Light, dark, or the system's theme. */
function ThemeChoice() {
  const [theme, setTheme] = useState<Theme>(savedTheme);
  return (
    <select
      className="theme-choice"
      aria-label="Theme"
      value={theme}
      onChange={(e) => {
        const chosen = e.target.value as Theme;
        setTheme(chosen);
        applyTheme(chosen);
      }}
    >
      <option value="system">System theme</option>
      <option value="light">Light</option>
      <option value="dark">Dark</option>
    </select>
  );
}

/** The signed-in shell: header navigation and the pages. */
export function App() {
  const me = useQuery({ queryKey: ["me"], queryFn: () => api<Me>("/api/current-user/whoami") });
  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand">Tessera</Link>
        <nav aria-label="Main">
          <NavLink to="/" end>Home</NavLink>
          <NavLink to="/projects">Projects</NavLink>
          <NavLink to="/organization">People</NavLink>
          <NavLink to="/account">Account</NavLink>
        </nav>
        <ThemeChoice />
        <span className="who">{me.data?.email}</span>
        {/* A POST from our own page: a link elsewhere cannot sign anyone out. */}
        <form method="post" action="/logout/" className="logout">
          <button type="submit" className="button subtle">Log out</button>
        </form>
      </header>
      <main>
        {me.isPending ? (
          <p className="muted" role="status">Loading…</p>
        ) : me.isError ? (
          <p className="error" role="alert">{me.error.message}</p>
        ) : (
          <Routes>
            <Route path="/" element={<Home me={me.data} />} />
            <Route path="/projects" element={<Projects me={me.data} />} />
            <Route path="/projects/new" element={<CreateProject me={me.data} />} />
            <Route path="/projects/:id" element={<ProjectHome />} />
            <Route path="/projects/:id/data" element={<DataManager me={me.data} />} />
            <Route path="/projects/:id/label" element={<Labeling me={me.data} />} />
            <Route path="/projects/:id/settings" element={<Settings me={me.data} />} />
            <Route path="/projects/:id/settings/:section" element={<Settings me={me.data} />} />
            <Route path="/projects/:id/members" element={<ProjectMembers me={me.data} />} />
            <Route path="/organization" element={<Organization me={me.data} />} />
            <Route path="/organization/webhooks" element={<OrganizationWebhooks me={me.data} />} />
            <Route path="/account" element={<Account me={me.data} />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        )}
      </main>
    </div>
  );
}

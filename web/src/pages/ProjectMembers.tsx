import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router-dom";
import { can } from "../access";
import { displayName } from "../labeling";
import { api, fetchProject, type Me, type Page, type ProjectMember } from "../api";
import { NotFound } from "../components/NotFound";
import { ProjectHeader } from "../components/ProjectHeader";

/** A project's members: who may see and label it besides owners and administrators. */
export function ProjectMembers({ me }: { me: Me }) {
  const { id = "" } = useParams();
  return /^\d+$/.test(id) ? <MemberList id={id} me={me} /> : <NotFound />;
}

function MemberList({ id, me }: { id: string; me: Me }) {
  const manages = can(me, "projects.change");
  const queries = useQueryClient();
  const [chosen, setChosen] = useState("");
  const project = useQuery({ queryKey: ["project", id], queryFn: () => fetchProject(id) });
  const members = useQuery({ queryKey: ["project-members", id], queryFn: () => api<Page<ProjectMember>>(`/api/projects/${id}/members/paginated/?page_size=1000`) });
  const people = useQuery({ queryKey: ["users"], queryFn: () => api<Me[]>("/api/users/"), enabled: manages });
  const refresh = () => queries.invalidateQueries({ queryKey: ["project-members", id] });
  const add = useMutation({
    mutationFn: (user: number) => api(`/api/projects/${id}/members/`, { method: "POST", body: JSON.stringify({ user }) }),
    onSuccess: () => { setChosen(""); refresh(); },
  });
  const remove = useMutation({ mutationFn: (user: number) => api(`/api/projects/${id}/members/?user=${user}`, { method: "DELETE" }), onSuccess: refresh });
  const inProject = new Set((members.data?.results ?? []).map((m) => m.id));
  const candidates = (people.data ?? []).filter((u) => !inProject.has(u.id));
  const problem = add.error ?? remove.error ?? members.error;
  return (
    <section>
      {project.data && <ProjectHeader project={project.data} me={me} />}
      <div className="narrow">
        <h2>Members</h2>
        <p className="muted">Managers, reviewers and annotators see a project when they are its members (or in its workspace).</p>
        {problem && <p className="error" role="alert">{problem.message}</p>}
        {manages && <form className="token" onSubmit={(e) => { e.preventDefault(); if (chosen) add.mutate(Number(chosen)); }}>
          <select aria-label="Person to add" value={chosen} onChange={(e) => setChosen(e.target.value)}>
            <option value="">Choose a person…</option>
            {candidates.map((u) => <option key={u.id} value={u.id}>{u.email}</option>)}
          </select>
          <button type="submit" className="primary" disabled={!chosen || add.isPending}>Add</button>
        </form>}
        {project.data?.created_by && (
          <p data-testid="project-creator">
            Created by <strong>{displayName(project.data.created_by)}</strong>
            {displayName(project.data.created_by) !== project.data.created_by.email && <span className="muted"> ({project.data.created_by.email})</span>}
            <span className="muted">, who always sees it</span>
          </p>
        )}
        {members.isPending ? (
          <p className="muted" role="status">Loading members…</p>
        ) : (members.data?.results.length ?? 0) === 0 ? (
          <div className="empty"><p>No members yet.</p></div>
        ) : (
          <ul className="list">
            {members.data!.results.map((m) => (
              <li key={m.id}><span>{m.email}</span>{manages && <button onClick={() => remove.mutate(m.id)}>Remove</button>}</li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, ApiError, type Me, type Membership, type Page } from "../api";
import { roleCode } from "../access";
import { copyText } from "../clipboard";
import { Dialog } from "../components/Dialog";
import { articled, assignableRoles, managesPeople, pageCount, plural, ROLES, timeAgo } from "../lib";

const PAGE_SIZE = 20;

/** The organization's people: members with their roles (changed in place by owners and
 * administrators), removal, search, and the invite link with copy and reset. */
export function Organization({ me }: { me: Me }) {
  const org = me.active_organization;
  const queries = useQueryClient();
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const search = params.get("search") ?? "";
  const [inviting, setInviting] = useState(false);
  const [shown, setShown] = useState<number | null>(null);
  const members = useQuery({
    queryKey: ["members", org, page, search],
    queryFn: () => api<Page<Membership>>(`/api/organizations/${org}/memberships?page=${page}&page_size=${PAGE_SIZE}&search=${encodeURIComponent(search)}`),
    placeholderData: keepPreviousData,
  });
  const myRole = roleCode(me);
  const canManage = managesPeople(myRole);
  const [notice, setNotice] = useState<string | null>(null);
  const changeRole = useMutation({
    mutationFn: ({ user, role }: { user: number; role: string; email: string }) =>
      api(`/api/organizations/${org}/memberships`, { method: "PATCH", body: JSON.stringify({ user_id: user, role }) }),
    onMutate: () => setNotice(null),
    onSuccess: (_, { role, email }) => setNotice(`${email} is now ${articled(ROLES.find((r) => r.code === role)?.title ?? role)}.`),
    onSettled: () => queries.invalidateQueries({ queryKey: ["members", org] }),
  });
  const remove = useMutation({
    mutationFn: (user: number) => api(`/api/organizations/${org}/memberships/${user}/`, { method: "DELETE" }),
    onSettled: () => queries.invalidateQueries({ queryKey: ["members", org] }),
  });
  const problem = changeRole.error ?? remove.error;
  const pages = pageCount(members.data?.count ?? 0, PAGE_SIZE);
  return (
    <section>
      <div className="toolbar">
        <h1>People</h1>
        <label className="search">
          <span className="visually-hidden">Search people</span>
          <input type="search" placeholder="Search by email or name" value={search} onChange={(e) => setParams({ search: e.target.value, page: "1" }, { replace: true })} />
        </label>
        {canManage && <Link to="/organization/webhooks" className="button subtle">Webhooks</Link>}
        {canManage && <button className="primary" onClick={() => setInviting(true)}>Invite people</button>}
      </div>
      {problem ? <p className="error" role="alert">{problem.message}</p> : notice && <p className="notice" role="status">{notice}</p>}
      {members.isPending ? (
        <p className="muted" role="status">Loading people…</p>
      ) : members.isError ? (
        <p className="error" role="alert">
          {members.error.message}{" "}
          {members.error instanceof ApiError && members.error.status === 404 && page > 1 && <button onClick={() => setParams({ search, page: "1" })}>First page</button>}
        </p>
      ) : members.data.results.length === 0 ? (
        <div className="empty"><p>Nobody matches “{search}”.</p></div>
      ) : (
        <>
          <table className="tasks">
            <thead>
              <tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Last active</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {members.data.results.map((m) => {
                const choices = assignableRoles(myRole);
                const editable = canManage && m.user.id !== me.id && (m.role !== "OW" || myRole === "OW");
                return (
                  <tr key={m.id} className={shown === m.user.id ? "chosen" : ""}>
                    <td><button className="link" onClick={() => setShown(m.user.id)} aria-label={`Details of ${m.user.email}`}>{m.user.email}</button></td>
                    <td>{[m.user.first_name, m.user.last_name].filter(Boolean).join(" ")}</td>
                    <td>
                      {editable ? (
                        <select aria-label={`Role of ${m.user.email}`} value={m.role} onChange={(e) => changeRole.mutate({ user: m.user.id, role: e.target.value, email: m.user.email })}>
                          {!choices.some((r) => r.code === m.role) && <option value={m.role} disabled>{ROLES.find((r) => r.code === m.role)?.title ?? m.role}</option>}
                          {choices.map((r) => <option key={r.code} value={r.code}>{r.title}</option>)}
                        </select>
                      ) : (
                        ROLES.find((r) => r.code === m.role)?.title ?? m.role
                      )}
                    </td>
                    <td className="muted" title={m.user.last_activity}>{timeAgo(m.user.last_activity)}</td>
                    <td>{editable && <button onClick={() => window.confirm(`Remove ${m.user.email} from the organization?`) && remove.mutate(m.user.id)}>Remove</button>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages">
            <button disabled={page <= 1} onClick={() => setParams({ search, page: String(page - 1) })}>Previous</button>
            <span>Page {page} of {pages}</span>
            <button disabled={page >= pages} onClick={() => setParams({ search, page: String(page + 1) })}>Next</button>
          </nav>
        </>
      )}
      {inviting && <InviteDialog onClose={() => setInviting(false)} />}
      {shown !== null && members.data && (
        <MemberPanel org={org} member={members.data.results.find((m) => m.user.id === shown)} userId={shown} onClose={() => setShown(null)} />
      )}
    </section>
  );
}

/** The organization's invite link: copy it, or reset it (old links stop working). */
function InviteDialog({ onClose }: { onClose: () => void }) {
  const queries = useQueryClient();
  const [copied, setCopied] = useState<boolean | null>(null);
  const invite = useQuery({ queryKey: ["invite"], queryFn: () => api<{ token: string; invite_url: string }>("/api/invite") });
  const reset = useMutation({
    mutationFn: () => api<{ token: string; invite_url: string }>("/api/invite/reset-token", { method: "POST" }),
    onSuccess: (fresh) => {
      queries.setQueryData(["invite"], fresh);
      setCopied(null);
    },
  });
  const link = invite.data ? `${window.location.origin}${invite.data.invite_url}` : "";
  return (
    <Dialog title="Invite people" onClose={onClose}>
      <p className="muted">Anyone with this link can sign up into the organization as an annotator.</p>
      {invite.isError ? (
        <p className="error" role="alert">{invite.error.message}</p>
      ) : (
        <div className="token">
          <input readOnly aria-label="Invite link" value={link} onFocus={(e) => e.target.select()} />
          <button onClick={async () => setCopied(await copyText(link))}>{copied ? "Copied" : copied === false ? "Copy failed: select and copy" : "Copy"}</button>
        </div>
      )}
      {reset.isError && <p className="error" role="alert">{reset.error.message}</p>}
      <div className="actions">
        <button onClick={() => reset.mutate()} disabled={reset.isPending}>Reset link</button>
        <button className="primary" onClick={onClose}>Done</button>
      </div>
    </Dialog>
  );
}

/** A member's detail: who they are, their role, when they joined and were last active, and
 * the projects they created and worked on (those the viewer sees). */
function MemberPanel({ org, member, userId, onClose }: { org: number | null; member: Membership | undefined; userId: number; onClose(): void }) {
  const detail = useQuery({
    queryKey: ["member", org, userId],
    queryFn: () =>
      api<{ contributed_projects_count: number; annotations_count: number; created_at: string; created_projects: { id: number; title: string }[] | null; contributed_to_projects: { id: number; title: string }[] | null }>(
        `/api/organizations/${org}/memberships/${userId}?contributed_to_projects=1`,
      ),
  });
  const user = member?.user;
  const projects = (list: { id: number; title: string }[] | null | undefined, none: string) =>
    list?.length ? (
      <ul className="list compact">{list.map((p) => <li key={p.id}><Link to={`/projects/${p.id}`}>{p.title || `Project ${p.id}`}</Link></li>)}</ul>
    ) : (
      <p className="muted">{none}</p>
    );
  return (
    <aside className="side-panel" aria-label="Member details" data-testid="member-panel">
      <div className="side-panel-head">
        <h2>{user ? [user.first_name, user.last_name].filter(Boolean).join(" ") || user.email : "Member"}</h2>
        <button className="subtle" aria-label="Close details" onClick={onClose}>×</button>
      </div>
      {user && (
        <dl className="facts">
          <dt>Email</dt><dd>{user.email}</dd>
          {user.username && <><dt>Username</dt><dd>{user.username}</dd></>}
          {user.phone && <><dt>Phone</dt><dd>{user.phone}</dd></>}
          <dt>Role</dt><dd>{ROLES.find((r) => r.code === member?.role)?.title ?? member?.role}</dd>
          <dt>Last active</dt><dd title={user.last_activity}>{timeAgo(user.last_activity)}</dd>
          {detail.data && <><dt>Joined</dt><dd title={detail.data.created_at}>{timeAgo(detail.data.created_at)}</dd></>}
        </dl>
      )}
      {detail.isPending ? (
        <p className="muted" role="status">Loading…</p>
      ) : detail.isError ? (
        <p className="error" role="alert">{detail.error.message}</p>
      ) : (
        <>
          <p data-testid="member-work">{plural(detail.data.annotations_count, "annotation")} in {plural(detail.data.contributed_projects_count, "project")}</p>
          <h3>Created projects</h3>
          {projects(detail.data.created_projects, "None.")}
          <h3>Worked on</h3>
          {projects(detail.data.contributed_to_projects, "No annotations yet.")}
        </>
      )}
    </aside>
  );
}

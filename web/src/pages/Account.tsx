import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ApiError, type Me } from "../api";
import { HOTKEY_ACTIONS, isKeyCombination } from "../hotkeys";
import { copyText } from "../clipboard";

/** The signed-in user's account: profile, picture, password, hotkeys and API tokens. */
export function Account({ me }: { me: Me }) {
  return (
    <section className="narrow account">
      <h1>Account</h1>
      <Profile me={me} />
      <Avatar me={me} />
      <Password me={me} />
      <Hotkeys me={me} />
      <AccessToken />
      <PersonalTokens />
    </section>
  );
}

/** Re-reads the signed-in user after a change to their account. */
function useRefreshMe() {
  const queries = useQueryClient();
  return () => queries.invalidateQueries({ queryKey: ["me"] });
}

/** Name, username and phone, saved together; the email is the sign-in name and stays. */
function Profile({ me }: { me: Me }) {
  const refresh = useRefreshMe();
  const [form, setForm] = useState({ first_name: me.first_name, last_name: me.last_name, username: me.username, phone: me.phone ?? "" });
  const save = useMutation({
    mutationFn: () => api<Me>(`/api/users/${me.id}/`, { method: "PATCH", body: JSON.stringify(form) }),
    onSuccess: refresh,
  });
  const fields = save.error instanceof ApiError ? save.error.messages.fields : {};
  const field = (key: keyof typeof form, label: string, autoComplete: string) => (
    <label>
      {label}
      <input name={key} autoComplete={autoComplete} value={form[key]} aria-invalid={!!fields[key]} onChange={(e) => { save.reset(); setForm({ ...form, [key]: e.target.value }); }} />
      {fields[key] && <span className="field-error">{fields[key].join(" ")}</span>}
    </label>
  );
  return (
    <form className="form" aria-label="Profile" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>Profile</h2>
      <p className="muted">You sign in as <strong>{me.email}</strong>.</p>
      <div className="columns">
        {field("first_name", "First name", "given-name")}
        {field("last_name", "Last name", "family-name")}
      </div>
      <div className="columns">
        {field("username", "Username", "username")}
        {field("phone", "Phone", "tel")}
      </div>
      <div className="actions start">
        <button type="submit" className="primary" disabled={save.isPending}>Save profile</button>
        {save.isError && !Object.keys(fields).length ? <span className="error" role="alert">{save.error.message}</span> : save.isSuccess && <span className="notice" role="status">Profile saved.</span>}
      </div>
    </form>
  );
}

/** The user's picture (PNG, JPEG or GIF up to 1 MiB), or their initials without one. */
function Avatar({ me }: { me: Me }) {
  const refresh = useRefreshMe();
  const upload = useMutation({
    mutationFn: (file: File) => {
      const form = new FormData();
      form.append("avatar", file);
      return api(`/api/users/${me.id}/avatar`, { method: "POST", body: form });
    },
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: () => api(`/api/users/${me.id}/avatar`, { method: "DELETE" }), onSuccess: refresh });
  const problem = upload.error ?? remove.error;
  return (
    <div className="form">
      <h2>Picture</h2>
      <div className="avatar-row">
        {me.avatar ? <img className="avatar large" src={me.avatar} alt="Your picture" /> : <span className="avatar large initials" aria-label="Your initials">{(me.initials ?? me.email.slice(0, 2)).toUpperCase()}</span>}
        <label className="button">
          {me.avatar ? "Change picture" : "Upload a picture"}
          <input type="file" className="visually-hidden" accept="image/png,image/jpeg,image/gif" aria-label="Picture file" onChange={(e) => { const file = e.target.files?.[0]; e.target.value = ""; if (file) upload.mutate(file); }} />
        </label>
        {me.avatar && <button onClick={() => remove.mutate()} disabled={remove.isPending}>Remove</button>}
      </div>
      {problem && <p className="error" role="alert">{problem.message}</p>}
    </div>
  );
}

/** A new password, given with the current one; every session ends with the change. */
function Password({ me }: { me: Me }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const change = useMutation({
    mutationFn: () => api(`/api/users/${me.id}/`, { method: "PATCH", body: JSON.stringify({ current_password: current, password: next }) }),
  });
  const fields = change.error instanceof ApiError ? change.error.messages.fields : {};
  if (change.isSuccess) {
    return (
      <div className="form">
        <h2>Password</h2>
        <p className="notice" role="status">Password changed. Every session has ended, this one too, and your legacy API token was replaced.</p>
        <div className="actions start"><a className="button primary" href="/user/login/">Sign in with the new password</a></div>
      </div>
    );
  }
  return (
    <form className="form" aria-label="Password" onSubmit={(e) => { e.preventDefault(); change.mutate(); }}>
      <h2>Password</h2>
      <div className="columns">
        <label>
          Current password
          <input type="password" name="current_password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} aria-invalid={!!fields.current_password} />
          {fields.current_password && <span className="field-error">{fields.current_password.join(" ")}</span>}
        </label>
        <label>
          New password
          <input type="password" name="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} aria-invalid={!!fields.password} />
          {fields.password && <span className="field-error">{fields.password.join(" ")}</span>}
        </label>
      </div>
      {change.isError && !Object.keys(fields).length && <p className="error" role="alert">{change.error.message}</p>}
      <div className="actions start">
        <button type="submit" disabled={!current || !next || change.isPending}>Change password</button>
      </div>
    </form>
  );
}

/** The editor's hotkeys the user rebinds (empty: the default key). */
function Hotkeys({ me }: { me: Me }) {
  const refresh = useRefreshMe();
  const [keys, setKeys] = useState<Record<string, string>>(() =>
    Object.fromEntries(HOTKEY_ACTIONS.map((a) => [a.id, me.custom_hotkeys?.[a.id]?.active === false ? "" : (me.custom_hotkeys?.[a.id]?.key ?? "")])),
  );
  const invalid = HOTKEY_ACTIONS.filter((a) => keys[a.id].trim() && !isKeyCombination(keys[a.id]));
  const save = useMutation({
    mutationFn: () => {
      const custom = Object.fromEntries(HOTKEY_ACTIONS.filter((a) => keys[a.id].trim()).map((a) => [a.id, { key: keys[a.id].trim().toLowerCase(), active: true }]));
      return api("/api/current-user/hotkeys", { method: "PATCH", body: JSON.stringify({ custom_hotkeys: custom }) });
    },
    onSuccess: refresh,
  });
  return (
    <form className="form" aria-label="Hotkeys" onSubmit={(e) => { e.preventDefault(); if (!invalid.length) save.mutate(); }}>
      <h2>Hotkeys</h2>
      <p className="muted">Keys of the labeling editor. Leave a key empty for its default; combine with <code>ctrl+</code>, <code>shift+</code>, <code>alt+</code>.</p>
      <table className="tasks hotkeys">
        <tbody>
          {HOTKEY_ACTIONS.map((action) => (
            <tr key={action.id}>
              <th scope="row">{action.title}</th>
              <td>
                <input aria-label={`Key for ${action.title}`} placeholder={action.key} value={keys[action.id]} aria-invalid={invalid.includes(action)} onChange={(e) => { save.reset(); setKeys({ ...keys, [action.id]: e.target.value }); }} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {invalid.length > 0 && <p className="error" role="alert">Not a key combination: {invalid.map((a) => `“${keys[a.id]}”`).join(", ")}.</p>}
      <div className="actions start">
        <button type="submit" disabled={save.isPending || invalid.length > 0}>Save hotkeys</button>
        {save.isError ? <span className="error" role="alert">{save.error.message}</span> : save.isSuccess && <span className="notice" role="status">Hotkeys saved.</span>}
      </div>
    </form>
  );
}

/** The legacy API token: copy it, or reset it (the old one stops working). */
function AccessToken() {
  const queries = useQueryClient();
  const [copied, setCopied] = useState<boolean | null>(null);
  const token = useQuery({ queryKey: ["token"], queryFn: () => api<{ token: string }>("/api/current-user/token") });
  const reset = useMutation({
    mutationFn: () => api<{ token: string }>("/api/current-user/reset-token/", { method: "POST" }),
    onSuccess: (fresh) => queries.setQueryData(["token"], fresh),
  });
  const copy = async () => {
    if (token.data) setCopied(await copyText(token.data.token));
  };
  return (
    <>
      <h2>Access token</h2>
      <p className="muted">Scripts and the Label Studio SDK use it: <code>Authorization: Token &lt;token&gt;</code>.</p>
      {token.isError ? (
        <p className="error" role="alert">{token.error.message}</p>
      ) : (
        <div className="token">
          <input readOnly aria-label="Access token" value={token.data?.token ?? ""} />
          <button onClick={copy}>{copied ? "Copied" : copied === false ? "Copy failed: select and copy" : "Copy"}</button>
          <button onClick={() => reset.mutate()} disabled={reset.isPending}>Reset</button>
        </div>
      )}
      {reset.isError && <p className="error" role="alert">{reset.error.message}</p>}
    </>
  );
}

/**
 * Personal access tokens (JWT refresh tokens): one live token at a time, shown in full only when
 * created; revoked by the listed form (as Label Studio does).
 */
function PersonalTokens() {
  const queries = useQueryClient();
  const [fresh, setFresh] = useState<string | null>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  const tokens = useQuery({ queryKey: ["pats"], queryFn: () => api<{ token: string }[]>("/api/token/") });
  const create = useMutation({
    mutationFn: () => api<{ token: string }>("/api/token/", { method: "POST", body: "{}" }),
    onSuccess: (created) => {
      setFresh(created.token);
      setCopied(null);
      queries.invalidateQueries({ queryKey: ["pats"] });
    },
  });
  const revoke = useMutation({
    mutationFn: (token: string) => api("/api/token/blacklist/", { method: "POST", body: JSON.stringify({ refresh: token }) }),
    onSuccess: () => {
      setFresh(null);
      queries.invalidateQueries({ queryKey: ["pats"] });
    },
  });
  return (
    <>
      <h2>Personal access tokens</h2>
      <p className="muted">
        A personal access token gets short-lived access tokens from <code>POST /api/token/refresh/</code>; the SDK takes it as its API key.
        It is shown once, when created.
      </p>
      {fresh && (
        <div className="token" data-testid="new-pat">
          <input readOnly aria-label="New personal access token" value={fresh} onFocus={(e) => e.target.select()} />
          <button onClick={async () => setCopied(await copyText(fresh))}>{copied ? "Copied" : copied === false ? "Copy failed: select and copy" : "Copy"}</button>
        </div>
      )}
      {tokens.isPending ? (
        <p className="muted" role="status">Loading tokens…</p>
      ) : tokens.isError ? (
        <p className="error" role="alert">{tokens.error.message}</p>
      ) : tokens.data.length === 0 ? (
        <p className="muted">No personal access token.</p>
      ) : (
        <ul className="list" aria-label="Personal access tokens">
          {tokens.data.map((t) => (
            <li key={t.token}>
              <code className="token-text">{t.token.slice(0, 24)}…</code>
              <button onClick={() => revoke.mutate(t.token)} disabled={revoke.isPending}>Revoke</button>
            </li>
          ))}
        </ul>
      )}
      {(create.isError || revoke.isError) && <p className="error" role="alert">{(create.error ?? revoke.error)?.message}</p>}
      <div className="actions start">
        <button onClick={() => create.mutate()} disabled={create.isPending || (tokens.data?.length ?? 0) > 0}>Create token</button>
      </div>
    </>
  );
}

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type Me } from "../api";
import { copyText } from "../clipboard";

/** The signed-in user's account: who they are and their API token (copy, reset). */
export function Account({ me }: { me: Me }) {
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
    <section className="narrow">
      <h1>Account</h1>
      <dl className="facts">
        <dt>Email</dt><dd>{me.email}</dd>
        <dt>Name</dt><dd>{[me.first_name, me.last_name].filter(Boolean).join(" ") || "—"}</dd>
      </dl>
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
      <PersonalTokens />
    </section>
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

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
    </section>
  );
}

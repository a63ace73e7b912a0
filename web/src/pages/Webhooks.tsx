// Webhooks of a project (project settings → Webhooks) or of the organization itself
// (/organization/webhooks): add with the URL, headers, payload and events, an optional signing
// secret; turn on and off; edit; delete; and each webhook's delivery log with failures.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { api, ApiError, type Me } from "../api";
import { managesPeople, timeAgo } from "../lib";
import { roleCode, whoCanChange } from "../access";
import { Dialog } from "../components/Dialog";
import { Field } from "../components/Field";
import {
  choosableActions,
  deliveryState,
  failureNote,
  formOf,
  listensFor,
  webhookBody,
  type ActionInfo,
  type Delivery,
  type Webhook,
  type WebhookForm,
} from "../webhooks";

/** The organization's own webhooks, for those who manage its people. */
export function OrganizationWebhooks({ me }: { me: Me }) {
  if (!managesPeople(roleCode(me))) {
    return (
      <section className="empty" role="status">
        <p>Only administrators and owners set up the organization's webhooks.</p>
        <p className="muted">Ask {whoCanChange(me)}.</p>
      </section>
    );
  }
  return (
    <section>
      <div className="toolbar">
        <h1>Organization webhooks</h1>
        <Link to="/organization" className="button subtle">People</Link>
      </div>
      <Webhooks project={null} />
    </section>
  );
}

function useActionInfo() {
  return useQuery({ queryKey: ["webhook-actions"], queryFn: () => api<Record<string, ActionInfo>>("/api/webhooks/info/"), staleTime: Infinity });
}

/** The webhooks of `project` (`null`: the organization's own, heard for every project). */
export function Webhooks({ project }: { project: number | null }) {
  const [editing, setEditing] = useState<Webhook | "new" | null>(null);
  const hooks = useQuery({
    queryKey: ["webhooks", project],
    queryFn: () => api<Webhook[]>(`/api/webhooks/?project=${project ?? "null"}`),
  });
  const info = useActionInfo();
  return (
    <div className="form">
      {project !== null && <h2>Webhooks</h2>}
      <p className="muted">
        {project === null
          ? "These URLs hear of every project of the organization, and of projects being created and deleted."
          : "These URLs are called when tasks, annotations or this project's settings change."}{" "}
        Each is sent a JSON body as Label Studio sends it; failed deliveries are tried again, in order.
      </p>
      {hooks.isPending && <p className="muted" role="status">Loading webhooks…</p>}
      {hooks.isError && <p className="error" role="alert">{hooks.error.message}</p>}
      {hooks.data && !hooks.data.length && <p className="muted" role="status">No webhooks yet.</p>}
      {hooks.data && hooks.data.length > 0 && (
        <ul className="storage-list">
          {hooks.data.map((hook) => (
            <WebhookCard key={hook.id} hook={hook} info={info.data} onEdit={() => setEditing(hook)} />
          ))}
        </ul>
      )}
      <div className="actions start">
        <button className="primary" onClick={() => setEditing("new")}>Add Webhook</button>
      </div>
      {editing && <WebhookDialog project={project} hook={editing === "new" ? undefined : editing} info={info.data} onClose={() => setEditing(null)} />}
    </div>
  );
}

function WebhookCard({ hook, info, onEdit }: { hook: Webhook; info?: Record<string, ActionInfo>; onEdit(): void }) {
  const queries = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [log, setLog] = useState(false);
  const refresh = () => queries.invalidateQueries({ queryKey: ["webhooks", hook.project] });
  const toggle = useMutation({
    // The server replaces the actions with what it is sent: they go along unchanged.
    mutationFn: () => api(`/api/webhooks/${hook.id}/`, { method: "PATCH", body: JSON.stringify({ is_active: !hook.is_active, actions: hook.actions }) }),
    onSettled: refresh,
  });
  const remove = useMutation({ mutationFn: () => api(`/api/webhooks/${hook.id}/`, { method: "DELETE" }), onSuccess: refresh });
  const failing = failureNote(hook);
  return (
    <li className="storage-card" data-testid="webhook-card">
      <div className="card-head">
        <strong className="card-title storage-location">{hook.url}</strong>
        <span className="muted">{hook.is_active ? "On" : "Off"}</span>
      </div>
      <span className="muted">{listensFor(hook, info)}{hook.send_payload ? "" : " · the action only, no payload"}{hook.signed ? " · signed" : ""}</span>
      {failing && <span className="error" role="status" data-testid="webhook-failures">{failing}</span>}
      {(toggle.error ?? remove.error) && <p className="error" role="alert">{(toggle.error ?? remove.error)?.message}</p>}
      <div className="actions start">
        <button onClick={() => toggle.mutate()} disabled={toggle.isPending}>{hook.is_active ? "Turn off" : "Turn on"}</button>
        <button onClick={onEdit}>Edit</button>
        <button onClick={() => setLog(!log)} aria-expanded={log}>Deliveries</button>
        <button className="danger" onClick={() => setConfirming(true)}>Delete</button>
      </div>
      {log && <DeliveryLog hook={hook.id} />}
      {confirming && (
        <Dialog title="Delete this webhook?" onClose={() => setConfirming(false)}>
          <p>It will not be called again, and its delivery log goes with it.</p>
          <div className="actions">
            <button onClick={() => setConfirming(false)}>Cancel</button>
            <button className="danger" disabled={remove.isPending} onClick={() => remove.mutate()}>Delete</button>
          </div>
        </Dialog>
      )}
    </li>
  );
}

/** The newest deliveries, followed while some wait. */
function DeliveryLog({ hook }: { hook: number }) {
  const deliveries = useQuery({
    queryKey: ["webhook-deliveries", hook],
    queryFn: () => api<Delivery[]>(`/api/webhooks/${hook}/deliveries/`),
    refetchInterval: (query) => (query.state.data?.some((d) => d.status === "pending") ? 1000 : false),
  });
  if (deliveries.isPending) return <p className="muted" role="status">Loading deliveries…</p>;
  if (deliveries.isError) return <p className="error" role="alert">{deliveries.error.message}</p>;
  if (!deliveries.data.length) return <p className="muted" role="status">Nothing sent yet.</p>;
  return (
    <ul className="list compact" aria-label="Deliveries">
      {deliveries.data.map((d) => (
        <li key={d.id} data-testid="delivery">
          <span>{d.action}</span>
          <span className={d.status === "failed" ? "error" : "muted"}>{deliveryState(d)}</span>
          <span className="muted">{timeAgo(d.created_at)}</span>
        </li>
      ))}
    </ul>
  );
}

function WebhookDialog({ project, hook, info, onClose }: { project: number | null; hook?: Webhook; info?: Record<string, ActionInfo>; onClose(): void }) {
  const queries = useQueryClient();
  const [form, setForm] = useState<WebhookForm>(() => formOf(hook));
  const save = useMutation({
    mutationFn: () => {
      const body = JSON.stringify(webhookBody(project, form, !!hook));
      return hook ? api(`/api/webhooks/${hook.id}/`, { method: "PATCH", body }) : api("/api/webhooks/", { method: "POST", body });
    },
    onSuccess: () => {
      queries.invalidateQueries({ queryKey: ["webhooks", project] });
      onClose();
    },
  });
  const errors = save.error instanceof ApiError ? save.error.messages.fields : {};
  const set = (changes: Partial<WebhookForm>) => setForm({ ...form, ...changes });
  const setHeader = (index: number, changes: Partial<{ name: string; value: string }>) =>
    set({ headers: form.headers.map((h, i) => (i === index ? { ...h, ...changes } : h)) });
  const toggleAction = (name: string, on: boolean) => set({ actions: on ? [...form.actions, name] : form.actions.filter((a) => a !== name) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const general = save.isError && !errors.url && !errors.headers && !errors.actions;
  return (
    <Dialog title={hook ? "Edit webhook" : "Add webhook"} onClose={onClose} wide>
      <form className="form" onSubmit={submit}>
        <Field label="Payload URL" error={errors.url}>
          <input name="url" type="url" required placeholder="https://example.com/label-events" value={form.url} onChange={(e) => set({ url: e.target.value })} aria-invalid={!!errors.url} />
        </Field>
        <fieldset className="stacked">
          <legend>Headers</legend>
          {form.headers.map((header, index) => (
            <div className="filter-row" key={index}>
              <input aria-label="Header name" placeholder="Name" value={header.name} onChange={(e) => setHeader(index, { name: e.target.value })} />
              <input aria-label="Header value" placeholder="Value" value={header.value} onChange={(e) => setHeader(index, { value: e.target.value })} />
              <button type="button" className="subtle" onClick={() => set({ headers: form.headers.filter((_, i) => i !== index) })}>Remove</button>
            </div>
          ))}
          {form.headers.length < 10 && <button type="button" onClick={() => set({ headers: [...form.headers, { name: "", value: "" }] })}>Add header</button>}
          {errors.headers && <span className="field-error">Up to 10 headers, named with letters, digits, - and _.</span>}
        </fieldset>
        <Field label="Signing secret" hint={hook?.signed ? "Set: deliveries carry X-Tessera-Signature-256. Leave empty to keep it." : "Optional: deliveries then carry X-Tessera-Signature-256, the body's HMAC-SHA256 with this secret."}>
          <input name="secret" type="password" autoComplete="new-password" value={form.secret} onChange={(e) => set({ secret: e.target.value, removeSecret: false })} />
        </Field>
        {hook?.signed && (
          <label className="check">
            <input type="checkbox" checked={form.removeSecret} onChange={(e) => set({ removeSecret: e.target.checked, secret: "" })} /> Remove the secret
          </label>
        )}
        <label className="check">
          <input type="checkbox" checked={form.sendPayload} onChange={(e) => set({ sendPayload: e.target.checked })} /> Send the payload (otherwise the action's name only)
        </label>
        <label className="check">
          <input type="checkbox" checked={form.active} onChange={(e) => set({ active: e.target.checked })} /> Active
        </label>
        <label className="check">
          <input type="checkbox" checked={form.allActions} onChange={(e) => set({ allActions: e.target.checked })} /> Send for every event
        </label>
        {!form.allActions && (
          <fieldset className="stacked" aria-label="Events">
            <legend>Events</legend>
            {choosableActions(info ?? {}, project !== null).map(([name, action]) => (
              <label key={name} className="check">
                <input type="checkbox" checked={form.actions.includes(name)} onChange={(e) => toggleAction(name, e.target.checked)} /> {action.name}
              </label>
            ))}
            {errors.actions && <span className="field-error">Choose among the events listed.</span>}
          </fieldset>
        )}
        {general && <p className="error" role="alert">{save.error?.message}</p>}
        <div className="actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={save.isPending}>{save.isPending ? "Saving…" : hook ? "Save" : "Add Webhook"}</button>
        </div>
      </form>
    </Dialog>
  );
}

// Project settings → Model: the project's ML backends (add after the server checks the
// connection, state and errors, check again, train, versions, edit, delete) and which backend's
// predictions the project shows (its model version).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, ApiError, fetchProject, PROJECT_FIELDS, type Project } from "../api";
import { Dialog } from "../components/Dialog";
import { Field } from "../components/Field";
import { mlBody, mlFormOf, mlState, type MlBackend, type MlForm } from "../ml";

/** The settings section. */
export function Model({ project }: { project: Project }) {
  const [editing, setEditing] = useState<MlBackend | "new" | null>(null);
  const backends = useQuery({ queryKey: ["ml", project.id], queryFn: () => api<MlBackend[]>(`/api/ml/?project=${project.id}`) });
  return (
    <div className="form">
      <h2>Model</h2>
      <p className="muted">
        Connect model servers that speak Label Studio's ML backend protocol (label-studio-ml-backend): they predict tasks ("Retrieve Predictions" in
        the Data Manager), train as annotations come in, and, when interactive, suggest regions in the editor.
      </p>
      {backends.isPending && <p className="muted" role="status">Checking the models…</p>}
      {backends.isError && <p className="error" role="alert">{backends.error.message}</p>}
      {backends.data && !backends.data.length && <p className="muted" role="status">No model connected yet.</p>}
      {backends.data && backends.data.length > 0 && (
        <ul className="storage-list">
          {backends.data.map((backend) => (
            <BackendCard key={backend.id} backend={backend} onEdit={() => setEditing(backend)} />
          ))}
        </ul>
      )}
      <div className="actions start">
        <button className="primary" onClick={() => setEditing("new")}>Connect Model</button>
      </div>
      {backends.data && backends.data.length > 0 && <ModelVersion project={project} backends={backends.data} />}
      {editing && <BackendDialog project={project} backend={editing === "new" ? undefined : editing} onClose={() => setEditing(null)} />}
    </div>
  );
}

function BackendCard({ backend, onEdit }: { backend: MlBackend; onEdit(): void }) {
  const queries = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const refresh = () => queries.invalidateQueries({ queryKey: ["ml", backend.project] });
  // Looking at a backend checks it again (its state follows).
  const check = useMutation({ mutationFn: () => api<MlBackend>(`/api/ml/${backend.id}`), onSettled: refresh });
  const train = useMutation({ mutationFn: () => api(`/api/ml/${backend.id}/train`, { method: "POST", body: "{}" }), onSettled: refresh });
  const versions = useMutation({ mutationFn: () => api<{ versions?: string[]; message?: string }>(`/api/ml/${backend.id}/versions`) });
  const remove = useMutation({ mutationFn: () => api(`/api/ml/${backend.id}`, { method: "DELETE" }), onSuccess: refresh });
  const problem = check.error ?? train.error ?? versions.error ?? remove.error;
  const failing = backend.state === "ER" || backend.state === "DI";
  return (
    <li className="storage-card" data-testid="ml-card">
      <div className="card-head">
        <strong className="card-title">{backend.title}</strong>
        <span className="muted">{backend.is_interactive ? "Interactive" : "Predictions"}</span>
      </div>
      <span className="muted storage-location">{backend.url}</span>
      <span className={failing ? "error" : "muted"} role="status" data-testid="ml-state">{mlState(backend)}</span>
      {backend.model_version && <span className="muted">Model version {backend.model_version}</span>}
      {versions.data && (
        <span className="muted" data-testid="ml-versions">
          Versions: {(versions.data.versions ?? []).join(", ") || "none"}{versions.data.message ? ` (${versions.data.message})` : ""}
        </span>
      )}
      {problem && <p className="error" role="alert">{problem.message}</p>}
      <div className="actions start">
        <button onClick={() => check.mutate()} disabled={check.isPending}>{check.isPending ? "Checking…" : "Check Connection"}</button>
        <button onClick={() => train.mutate()} disabled={train.isPending}>Start Training</button>
        <button onClick={() => versions.mutate()}>Versions</button>
        <button onClick={onEdit}>Edit</button>
        <button className="danger" onClick={() => setConfirming(true)}>Delete</button>
      </div>
      {confirming && (
        <Dialog title="Disconnect this model?" onClose={() => setConfirming(false)}>
          <p>Its predictions stay in the project.</p>
          <div className="actions">
            <button onClick={() => setConfirming(false)}>Cancel</button>
            <button className="danger" disabled={remove.isPending} onClick={() => remove.mutate()}>Delete</button>
          </div>
        </Dialog>
      )}
    </li>
  );
}

/** Which backend's predictions the project shows and labels from. */
function ModelVersion({ project, backends }: { project: Project; backends: MlBackend[] }) {
  const queries = useQueryClient();
  const current = useQuery({ queryKey: ["project", String(project.id)], queryFn: () => fetchProject(project.id) });
  const save = useMutation({
    mutationFn: (version: string) => api<Project>(`/api/projects/${project.id}/?include=${PROJECT_FIELDS}`, { method: "PATCH", body: JSON.stringify({ model_version: version }) }),
    onSuccess: (saved) => queries.setQueryData(["project", String(project.id)], saved),
  });
  // The versions of predictions already stored (imported, or from a model), with their counts.
  const stored = useQuery({
    queryKey: ["model-versions", project.id],
    queryFn: () => api<{ static: { model_version: string; count: number }[] }>(`/api/projects/${project.id}/model-versions/?extended=true`),
  });
  const chosen = current.data?.model_version ?? "";
  const versions = (stored.data?.static ?? []).filter((v) => !backends.some((b) => b.title === v.model_version));
  return (
    <label className="stacked">
      Predictions shown to annotators
      <select value={chosen} onChange={(e) => save.mutate(e.target.value)} disabled={save.isPending}>
        <option value="">None chosen</option>
        <optgroup label="Connected models">
          {backends.map((b) => (
            <option key={b.id} value={b.title}>{b.title}</option>
          ))}
        </optgroup>
        {versions.length > 0 && (
          <optgroup label="Stored predictions">
            {versions.map((v) => (
              <option key={v.model_version} value={v.model_version}>{`${v.model_version} (${v.count.toLocaleString("en-US")})`}</option>
            ))}
          </optgroup>
        )}
      </select>
      {save.isError && <span className="field-error">{save.error.message}</span>}
    </label>
  );
}

function BackendDialog({ project, backend, onClose }: { project: Project; backend?: MlBackend; onClose(): void }) {
  const queries = useQueryClient();
  const [form, setForm] = useState<MlForm>(() => mlFormOf(backend));
  const save = useMutation({
    mutationFn: () => {
      const body = JSON.stringify(mlBody(project.id, form));
      return backend ? api(`/api/ml/${backend.id}`, { method: "PATCH", body }) : api("/api/ml/", { method: "POST", body });
    },
    onSuccess: () => {
      queries.invalidateQueries({ queryKey: ["ml", project.id] });
      queries.invalidateQueries({ queryKey: ["project", String(project.id)] });
      onClose();
    },
  });
  const errors = save.error instanceof ApiError ? save.error.messages.fields : {};
  const general = save.error instanceof ApiError ? [...(errors.non_field_errors ?? [])] : [];
  const set = (changes: Partial<MlForm>) => setForm({ ...form, ...changes });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <Dialog title={backend ? "Edit model" : "Connect model"} onClose={onClose} wide>
      <form className="form" onSubmit={submit}>
        <Field label="Name" error={errors.title}>
          <input name="title" value={form.title} placeholder="default" onChange={(e) => set({ title: e.target.value })} />
        </Field>
        <Field label="Backend URL" error={errors.url}>
          <input name="url" type="url" required placeholder="http://localhost:9090" value={form.url} onChange={(e) => set({ url: e.target.value })} />
        </Field>
        <Field label="Description" error={errors.description}>
          <input name="description" value={form.description} onChange={(e) => set({ description: e.target.value })} />
        </Field>
        <label className="check">
          <input type="checkbox" checked={form.basicAuth} onChange={(e) => set({ basicAuth: e.target.checked })} /> Basic authentication
        </label>
        {form.basicAuth && (
          <div className="filter-row">
            <input aria-label="Username" placeholder="Username" value={form.user} onChange={(e) => set({ user: e.target.value })} />
            <input aria-label="Password" type="password" autoComplete="new-password" placeholder={backend?.basic_auth_pass_is_set ? "Stored; leave empty to keep it" : "Password"} value={form.password} onChange={(e) => set({ password: e.target.value })} />
          </div>
        )}
        <Field label="Extra parameters (JSON, passed to the model server's setup)" error={errors.extra_params}>
          <textarea name="extra_params" rows={3} value={form.extraParams} onChange={(e) => set({ extraParams: e.target.value })} />
        </Field>
        <label className="check">
          <input type="checkbox" checked={form.interactive} onChange={(e) => set({ interactive: e.target.checked })} /> Interactive preannotations (the editor asks it as you draw)
        </label>
        {general.length > 0 && <p className="error" role="alert" data-testid="ml-problem">{general.join(" ")}</p>}
        {save.isError && !general.length && !errors.url && <p className="error" role="alert">{save.error.message}</p>}
        <div className="actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={save.isPending}>{save.isPending ? "Checking the connection…" : backend ? "Save" : "Validate and Save"}</button>
        </div>
      </form>
    </Dialog>
  );
}

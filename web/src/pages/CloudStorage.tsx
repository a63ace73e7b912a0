// Project settings → Cloud storage: source storages (tasks come from a bucket) and target storages
// (annotations go to one), each added with its type's fields, checked, synced with live status,
// edited and deleted. The fields come from the server's form layout for each type.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, ApiError, refreshProject, type Project } from "../api";
import { Dialog } from "../components/Dialog";
import { Field } from "../components/Field";
import { formatBytes, plural, timeAgo } from "../lib";
import { initialValues, isSyncing, storageBody, storagePath, storageStatus, type Direction, type FormField, type Storage } from "../storages";

const DIRECTIONS: { direction: Direction; title: string; text: string; add: string }[] = [
  { direction: "import", title: "Source cloud storage", text: "Tasks come from a bucket: each sync adds the objects that are new.", add: "Add Source Storage" },
  { direction: "export", title: "Target cloud storage", text: "Annotations are written to a bucket as they are saved.", add: "Add Target Storage" },
];

interface StorageType {
  name: string;
  title: string;
}

/** The settings section: both directions side by side. */
export function CloudStorage({ project }: { project: Project }) {
  return (
    <div className="form">
      <h2>Cloud storage</h2>
      <div className="storage-columns">
        {DIRECTIONS.map((d) => (
          <StorageColumn key={d.direction} project={project} {...d} />
        ))}
      </div>
    </div>
  );
}

/** Where a direction's storages are listed across types. */
function listPath(direction: Direction, project: number): string {
  return `${direction === "import" ? "/api/storages/" : "/api/storages/export"}?project=${project}`;
}

function StorageColumn({ project, direction, title, text, add }: { project: Project; direction: Direction; title: string; text: string; add: string }) {
  const [editing, setEditing] = useState<Storage | "new" | null>(null);
  const storages = useQuery({
    queryKey: ["storages", direction, project.id],
    queryFn: () => api<Storage[]>(listPath(direction, project.id)),
    // A running sync is followed until it ends.
    refetchInterval: (query) => (query.state.data?.some(isSyncing) ? 1000 : false),
  });
  return (
    <section className="storage-column" aria-label={title}>
      <h3>{title}</h3>
      <p className="muted">{text}</p>
      {storages.isPending && <p className="muted" role="status">Loading storages…</p>}
      {storages.isError && <p className="error" role="alert">{storages.error.message}</p>}
      {storages.data && (
        <ul className="storage-list">
          {storages.data.map((storage) => (
            <StorageCard key={`${storage.type}-${storage.id}`} project={project} direction={direction} storage={storage} onEdit={() => setEditing(storage)} />
          ))}
        </ul>
      )}
      <div className="actions start">
        <button className="primary" onClick={() => setEditing("new")}>{add}</button>
      </div>
      {editing && (
        <StorageDialog project={project} direction={direction} storage={editing === "new" ? undefined : editing} onClose={() => setEditing(null)} />
      )}
    </section>
  );
}

function StorageCard({ project, direction, storage, onEdit }: { project: Project; direction: Direction; storage: Storage; onEdit(): void }) {
  const queries = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const path = `${storagePath(direction, storage.type)}/${storage.id}`;
  const refresh = () => {
    queries.invalidateQueries({ queryKey: ["storages", direction, project.id] });
    refreshProject(queries, project.id);
  };
  const sync = useMutation({ mutationFn: () => api<Storage>(`${path}/sync`, { method: "POST" }), onSettled: refresh });
  const remove = useMutation({ mutationFn: () => api(path, { method: "DELETE" }), onSuccess: refresh });
  const types = useStorageTypes(direction);
  const typeTitle = types.data?.find((t) => t.name === storage.type)?.title ?? storage.type;
  const bucket = String(storage.bucket ?? storage.container ?? storage.path ?? "");
  const prefix = storage.prefix ? `/${String(storage.prefix)}` : "";
  const failed = storage.status === "failed" || storage.status === "completed_with_errors";
  return (
    <li className="storage-card" data-testid="storage-card">
      <div className="card-head">
        <strong className="card-title">{storage.title || `${typeTitle} storage`}</strong>
        <span className="muted">{typeTitle}</span>
      </div>
      <span className="muted storage-location">{bucket}{prefix}</span>
      <span className={failed ? "error" : "muted"} role="status" data-testid="storage-status">{storageStatus(storage, direction)}</span>
      {storage.traceback && failed && <pre className="storage-traceback">{storage.traceback}</pre>}
      {sync.isError && <p className="error" role="alert">{sync.error.message}</p>}
      {remove.isError && <p className="error" role="alert">{remove.error.message}</p>}
      <div className="actions start">
        <button onClick={() => sync.mutate()} disabled={sync.isPending || isSyncing(storage)}>{isSyncing(storage) ? "Syncing…" : "Sync Storage"}</button>
        <button onClick={onEdit}>Edit</button>
        <button className="danger" onClick={() => setConfirming(true)}>Delete</button>
      </div>
      {confirming && (
        <Dialog title="Delete this storage?" onClose={() => setConfirming(false)}>
          <p>{direction === "import" ? "Tasks it brought in stay in the project." : "Objects it wrote stay in the bucket."} The bucket itself is not touched.</p>
          <div className="actions">
            <button onClick={() => setConfirming(false)}>Cancel</button>
            <button className="danger" disabled={remove.isPending} onClick={() => remove.mutate()}>Delete</button>
          </div>
        </Dialog>
      )}
    </li>
  );
}

function useStorageTypes(direction: Direction) {
  return useQuery({
    queryKey: ["storage-types", direction],
    queryFn: () => api<StorageType[]>(direction === "import" ? "/api/storages/types" : "/api/storages/export/types"),
    staleTime: Infinity,
  });
}

/** Adding a storage (its type chosen first) or editing one. */
function StorageDialog({ project, direction, storage, onClose }: { project: Project; direction: Direction; storage?: Storage; onClose(): void }) {
  const types = useStorageTypes(direction);
  const [type, setType] = useState(storage?.type ?? "s3");
  return (
    <Dialog title={storage ? "Edit storage" : direction === "import" ? "Add source storage" : "Add target storage"} onClose={onClose} wide>
      <label className="stacked">
        Storage type
        <select value={type} onChange={(e) => setType(e.target.value)} disabled={!!storage}>
          {(types.data ?? [{ name: type, title: type }]).map((t) => (
            <option key={t.name} value={t.name}>{t.title}</option>
          ))}
        </select>
      </label>
      <StorageForm key={type} project={project} direction={direction} type={type} storage={storage} onDone={onClose} />
    </Dialog>
  );
}

/** The message a connection check or a save failed with, all fields' messages included. */
function problem(error: Error): string {
  if (!(error instanceof ApiError)) return error.message;
  const messages = Object.values(error.messages.fields).flat();
  return messages.length ? messages.join(" ") : error.message;
}

function StorageForm({ project, direction, type, storage, onDone }: { project: Project; direction: Direction; type: string; storage?: Storage; onDone(): void }) {
  const queries = useQueryClient();
  const base = storagePath(direction, type);
  const form = useQuery({
    queryKey: ["storage-form", direction, type],
    queryFn: () => api<{ fields: FormField[] }[]>(`${base}/form`),
    staleTime: Infinity,
  });
  if (form.isPending) return <p className="muted" role="status">Loading the form…</p>;
  if (form.isError) return <p className="error" role="alert">{form.error.message}</p>;
  const fields = form.data.flatMap((row) => row.fields);
  return <StorageFields key={storage?.id ?? "new"} fields={fields} project={project} base={base} storage={storage} preview={direction === "import"} onDone={() => { queries.invalidateQueries({ queryKey: ["storages", direction, project.id] }); onDone(); }} />;
}

/** A listed object of the file preview; a key of null stands for "more than the limit". */
interface PreviewFile {
  key: string | null;
  last_modified: string | null;
  size: number | null;
}

/** Objects the preview lists. */
const PREVIEW_LIMIT = 30;

/** The entry ending a preview the server cut short after listing for too long. */
const TIMEOUT_MARKER = "... storage scan timeout reached ...";

function StorageFields({ fields, project, base, storage, preview, onDone }: { fields: FormField[]; project: Project; base: string; storage?: Storage; preview: boolean; onDone(): void }) {
  const [values, setValues] = useState(() => initialValues(fields, storage));
  const body = () => JSON.stringify({ ...storageBody(project.id, fields, values), ...(storage ? { id: storage.id } : {}) });
  // With an edited storage, checking saves the fields first (Label Studio's behaviour): the list
  // is refreshed either way.
  const queries = useQueryClient();
  const saved = () => storage && queries.invalidateQueries({ queryKey: ["storages"] });
  const check = useMutation({ mutationFn: () => api(`${base}/validate`, { method: "POST", body: body() }), onSettled: saved });
  const files = useMutation({
    mutationFn: () => api<{ files: PreviewFile[] }>(`${base}/files`, { method: "POST", body: JSON.stringify({ ...JSON.parse(body()), limit: PREVIEW_LIMIT }) }),
    onSettled: saved,
  });
  const save = useMutation({
    mutationFn: () => (storage ? api(`${base}/${storage.id}`, { method: "PATCH", body: body() }) : api(base, { method: "POST", body: body() })),
    onSuccess: onDone,
  });
  const errors = save.error instanceof ApiError ? save.error.messages.fields : {};
  const set = (name: string, value: unknown) => {
    setValues({ ...values, [name]: value });
    check.reset();
    files.reset();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form className="form storage-form" onSubmit={submit}>
      {fields.map((field) =>
        field.type === "toggle" ? (
          <label key={field.name} className="check">
            <input type="checkbox" name={field.name} checked={Boolean(values[field.name])} onChange={(e) => set(field.name, e.target.checked)} /> {field.label}
          </label>
        ) : (
          <Field key={field.name} label={field.label} error={errors[field.name]} hint={field.type === "password" && storage ? "Stored and never shown; leave empty to keep it." : undefined}>
            <input
              name={field.name}
              type={field.type === "password" ? "password" : field.type === "counter" ? "number" : "text"}
              min={field.min}
              required={field.required}
              autoComplete={field.type === "password" ? "new-password" : "off"}
              value={String(values[field.name] ?? "")}
              onChange={(e) => set(field.name, e.target.value)}
              aria-invalid={!!errors[field.name]}
            />
          </Field>
        ),
      )}
      {storage && <p className="muted hint">Checking the connection or previewing files saves these settings to the storage.</p>}
      {check.isSuccess && <p className="notice" role="status">Successfully connected.</p>}
      {check.isError && <p className="error" role="alert">{problem(check.error)}</p>}
      {files.isError && <p className="error" role="alert">{problem(files.error)}</p>}
      {files.data && <FilePreview files={files.data.files} />}
      {save.isError && !Object.keys(errors).some((name) => fields.some((f) => f.name === name)) && <p className="error" role="alert">{problem(save.error)}</p>}
      <div className="actions">
        {preview && <button type="button" onClick={() => files.mutate()} disabled={files.isPending}>{files.isPending ? "Listing…" : "Preview Files"}</button>}
        <button type="button" onClick={() => check.mutate()} disabled={check.isPending}>{check.isPending ? "Checking…" : "Check Connection"}</button>
        <button type="submit" className="primary" disabled={save.isPending}>{save.isPending ? "Saving…" : storage ? "Save" : "Add Storage"}</button>
      </div>
    </form>
  );
}

/** The objects a sync would read, as the preview lists them. */
function FilePreview({ files }: { files: PreviewFile[] }) {
  if (!files.length) return <p className="muted" role="status">No files match: check the prefix and the filter.</p>;
  const last = files[files.length - 1].key;
  // The server ends a cut-short list with an entry of nulls (the limit) or a timeout marker.
  const cut = last === null ? "limit" : last === TIMEOUT_MARKER ? "timeout" : null;
  const shown = cut ? files.slice(0, -1) : files;
  const heading = cut === "limit" ? `The first ${plural(shown.length, "file")}` : cut === "timeout" ? `${plural(shown.length, "file")} found before listing took too long` : plural(shown.length, "file");
  return (
    <div role="status" aria-label="Files preview">
      <p className="muted">{heading} a sync would read:</p>
      <ul className="list compact storage-files">
        {shown.map((file) => (
          <li key={file.key ?? ""}>
            <span className="storage-location">{file.key}</span>
            <span className="muted">{[file.size !== null && formatBytes(file.size), file.last_modified && timeAgo(file.last_modified)].filter(Boolean).join(" · ")}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

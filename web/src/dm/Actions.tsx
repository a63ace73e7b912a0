import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, refreshProject } from "../api";
import { Dialog } from "../components/Dialog";
import type { Selection } from "../labeling";
import { actionBody, type ViewData } from "./query";

/** A bulk action as `/api/dm/actions/` lists it. */
interface Action {
  id: string;
  title: string;
  order: number;
  /** `form: null` means the dialog has a form, loaded on demand from `/form/`; no key, no form. */
  dialog: { title: string; text: string; form?: null };
}

/** A field of an action's dialog form (`/api/dm/actions/{id}/form/`); options are plain strings
 * (model versions) or value/label pairs (annotators), and `value` is the preselected one. */
interface FormField {
  type: string;
  name: string;
  label: string;
  options: (string | { value: string; label: string })[];
  placeholder?: string;
  value?: string;
}

/** An option as value and label, whichever shape the form gave. */
function option(o: string | { value: string; label: string }): { value: string; label: string } {
  return typeof o === "string" ? { value: o, label: o } : { value: String(o.value), label: o.label };
}

/** The actions menu for selected tasks, with a confirmation dialog (and its form) per action. */
export function Actions({ projectId, tabId, view, selection, count, onDone }: {
  projectId: number;
  tabId: number;
  view: ViewData;
  selection: Selection;
  count: number;
  onDone(detail: string): void;
}) {
  const actions = useQuery({ queryKey: ["dm-actions", projectId], queryFn: () => api<Action[]>(`/api/dm/actions/?project=${projectId}`) });
  const [chosen, setChosen] = useState<Action | null>(null);
  return (
    <>
      <select
        aria-label="Actions"
        value=""
        onChange={(e) => setChosen(actions.data?.find((a) => a.id === e.target.value) ?? null)}
        disabled={!actions.data}
      >
        <option value="">Actions for {count} task{count === 1 ? "" : "s"}</option>
        {[...(actions.data ?? [])].sort((a, b) => a.order - b.order).map((a) => <option key={a.id} value={a.id}>{a.title}</option>)}
      </select>
      {chosen && (
        <ConfirmAction
          projectId={projectId}
          tabId={tabId}
          action={chosen}
          body={actionBody(view, selection)}
          count={count}
          onClose={() => setChosen(null)}
          onDone={(detail) => {
            setChosen(null);
            onDone(detail);
          }}
        />
      )}
    </>
  );
}

function ConfirmAction({ projectId, tabId, action, body, count, onClose, onDone }: {
  projectId: number;
  tabId: number;
  action: Action;
  body: Record<string, unknown>;
  count: number;
  onClose(): void;
  onDone(detail: string): void;
}) {
  const queries = useQueryClient();
  const hasForm = action.dialog.form === null;
  const form = useQuery({
    queryKey: ["dm-action-form", projectId, action.id],
    queryFn: () => api<{ fields: FormField[] }[]>(`/api/dm/actions/${action.id}/form/?project=${projectId}`),
    enabled: hasForm,
  });
  const [chosen, setChosen] = useState<Record<string, string>>({});
  const run = useMutation({
    mutationFn: () =>
      api<{ detail?: string; processed_items?: number }>(`/api/dm/actions/?project=${projectId}&id=${action.id}&tabID=${tabId}`, {
        method: "POST",
        body: JSON.stringify({ ...body, ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== "")) }),
      }),
    onSuccess: (outcome) => {
      refreshProject(queries, projectId);
      onDone(outcome.detail ?? `${action.title}: done.`);
    },
  });
  const fields = form.data?.flatMap((group) => group.fields) ?? [];
  // What each field sends: the user's choice, else the form's preselected value.
  const values = Object.fromEntries(fields.map((f) => [f.name, chosen[f.name] ?? (f.value === undefined || f.value === null ? "" : String(f.value))]));
  return (
    <Dialog title={action.dialog.title || action.title} onClose={onClose}>
      <p>{action.dialog.text || `${action.title}?`}</p>
      <p className="muted">This applies to {count} selected task{count === 1 ? "" : "s"}.</p>
      {form.isError && <p className="error" role="alert">{form.error.message}</p>}
      {fields.map((field) => (
        <label key={field.name} className="stacked">
          {field.label}
          <select value={values[field.name] ?? ""} onChange={(e) => setChosen({ ...chosen, [field.name]: e.target.value })}>
            <option value="">{field.placeholder ?? "Any"}</option>
            {field.options.map(option).map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </select>
        </label>
      ))}
      {run.isError && <p className="error" role="alert">{run.error.message}</p>}
      <div className="actions">
        <button onClick={onClose}>Cancel</button>
        <button className="primary danger-ok" onClick={() => run.mutate()} disabled={run.isPending || (hasForm && form.isPending)}>
          {run.isPending ? "Working…" : "OK"}
        </button>
      </div>
    </Dialog>
  );
}

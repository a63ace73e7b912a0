import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { NavLink, useNavigate, useParams } from "react-router-dom";
import { can, whoCanChange } from "../access";
import { api, ApiError, fetchProject, refreshProject, PROJECT_FIELDS, type Me, type Project } from "../api";
import { ConfigEditor } from "../components/ConfigEditor";
import { Dialog } from "../components/Dialog";
import { Field } from "../components/Field";
import { NotFound, ProjectProblem } from "../components/NotFound";
import { ProjectHeader } from "../components/ProjectHeader";
import { cleanInstructions } from "../sanitize";
import { CloudStorage } from "./CloudStorage";
import { Model } from "./Model";
import { Webhooks } from "./Webhooks";

/** The settings sections. */
const SECTIONS = [
  { id: "general", title: "General" },
  { id: "labeling", title: "Labeling interface" },
  { id: "instructions", title: "Instructions" },
  { id: "storage", title: "Cloud storage" },
  { id: "model", title: "Model" },
  { id: "webhooks", title: "Webhooks" },
  { id: "danger", title: "Danger zone" },
] as const;

/** Project settings: one section at a time, chosen by the URL (`/settings/<section>`). */
export function Settings({ me }: { me: Me }) {
  const { id = "", section = "general" } = useParams();
  const known = SECTIONS.some((s) => s.id === section);
  if (!/^\d+$/.test(id) || !known) return <NotFound />;
  return <SettingsPage key={id} projectId={Number(id)} section={section} me={me} />;
}

function SettingsPage({ projectId, section, me }: { projectId: number; section: string; me: Me }) {
  const project = useQuery({ queryKey: ["project", String(projectId)], queryFn: () => fetchProject(projectId) });
  if (project.isPending) return <p className="muted" role="status">Loading project…</p>;
  if (project.isError) return <ProjectProblem error={project.error} />;
  if (!can(me, "projects.change")) {
    return (
      <section>
        <ProjectHeader project={project.data} me={me} />
        <div className="empty" role="status">
          <p>Only managers, administrators and owners change a project's settings.</p>
          <p className="muted">To change them, ask {whoCanChange(me)} for the Manager role.</p>
        </div>
      </section>
    );
  }
  return (
    <section>
      <ProjectHeader project={project.data} me={me} />
      <div className="with-sidebar">
        <nav className="sidebar" aria-label="Settings">
          {SECTIONS.map((s) => (
            <NavLink key={s.id} to={`/projects/${projectId}/settings/${s.id}`} className={s.id === section ? "chosen" : ""}>
              {s.title}
            </NavLink>
          ))}
        </nav>
        <div className="settings-body">
          {section === "general" && <General project={project.data} />}
          {section === "labeling" && <Labeling project={project.data} me={me} />}
          {section === "instructions" && <Instructions project={project.data} />}
          {section === "storage" && <CloudStorage project={project.data} />}
          {section === "model" && <Model project={project.data} />}
          {section === "webhooks" && <Webhooks project={project.data.id} />}
          {section === "danger" && <DangerZone project={project.data} />}
        </div>
      </div>
    </section>
  );
}

/** Saving changed project fields, with the server's errors by field. */
function useSaveProject(project: Project) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (fields: Record<string, unknown>) => api<Project>(`/api/projects/${project.id}/?include=${PROJECT_FIELDS}`, { method: "PATCH", body: JSON.stringify(fields) }),
    onSuccess: (saved) => {
      queries.setQueryData(["project", String(project.id)], saved);
      queries.invalidateQueries({ queryKey: ["projects"] });
      queries.invalidateQueries({ queryKey: ["columns", project.id] });
    },
  });
}

function fieldErrors(error: Error | null): Record<string, string[]> {
  return error instanceof ApiError ? error.messages.fields : {};
}

/**
 * A settings form: the fields, the general error and a Save button that says when it saved.
 * `outside` is shown with the form but outside it (the labeling editor's buttons would submit it).
 */
function SettingsForm({ title, save, onSubmit, children, outside }: {
  title: string;
  save: ReturnType<typeof useSaveProject>;
  onSubmit(): void;
  children?: ReactNode;
  outside?: ReactNode;
}) {
  const errors = fieldErrors(save.error);
  const formId = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    // Any change after a save drops its "Saved." (it would stand beside the change's errors).
    <div className="form settings-form" onChange={() => save.isSuccess && save.reset()} onKeyDown={() => save.isSuccess && save.reset()}>
      <h2>{title}</h2>
      <form id={formId} className="form" onSubmit={submit}>{children}</form>
      {outside}
      {save.isError && !Object.keys(errors).length && <p className="error" role="alert">{save.error.message}</p>}
      <div className="actions">
        {save.isSuccess && <span className="notice" role="status">Saved.</span>}
        <button type="submit" form={formId} className="primary" disabled={save.isPending}>{save.isPending ? "Saving…" : "Save"}</button>
      </div>
    </div>
  );
}

type GeneralFields = Pick<
  Project,
  "title" | "description" | "color" | "sampling" | "skip_queue" | "maximum_annotations" | "show_skip_button" | "enable_empty_annotation" | "show_annotation_history" | "show_collab_predictions"
>;

function General({ project }: { project: Project }) {
  const save = useSaveProject(project);
  const [fields, setFields] = useState<GeneralFields>({
    title: project.title,
    description: project.description ?? "",
    color: project.color ?? "#FFFFFF",
    sampling: project.sampling,
    skip_queue: project.skip_queue,
    maximum_annotations: project.maximum_annotations,
    show_skip_button: project.show_skip_button,
    enable_empty_annotation: project.enable_empty_annotation,
    show_annotation_history: project.show_annotation_history,
    show_collab_predictions: project.show_collab_predictions,
  });
  const errors = fieldErrors(save.error);
  const set = <K extends keyof GeneralFields>(key: K, value: GeneralFields[K]) => setFields({ ...fields, [key]: value });
  return (
    <SettingsForm title="General" save={save} onSubmit={() => save.mutate(fields)}>
      <Field label="Project name" error={errors.title}>
        <input value={fields.title} onChange={(e) => set("title", e.target.value)} aria-invalid={!!errors.title} />
      </Field>
      <Field label="Description" error={errors.description}>
        <textarea rows={3} value={fields.description} onChange={(e) => set("description", e.target.value)} />
      </Field>
      <Field label="Color" error={errors.color}>
        <input type="color" className="color" value={/^#[0-9a-f]{6}$/i.test(fields.color ?? "") ? fields.color! : "#ffffff"} onChange={(e) => set("color", e.target.value)} />
      </Field>
      <Field label="Task sampling" error={errors.sampling}>
        <select value={fields.sampling} onChange={(e) => set("sampling", e.target.value)}>
          <option value="Sequential sampling">Sequential: tasks in Data Manager order</option>
          <option value="Uniform sampling">Random: tasks in random order</option>
          <option value="Uncertainty sampling">Uncertainty: lowest prediction score first</option>
        </select>
      </Field>
      <Field label="Annotations per task (overlap)" error={errors.maximum_annotations} hint="A task is complete when this many people annotated it.">
        <input type="number" min={1} value={fields.maximum_annotations} onChange={(e) => set("maximum_annotations", Number(e.target.value))} aria-invalid={!!errors.maximum_annotations} />
      </Field>
      <Field label="Skipped tasks" error={errors.skip_queue}>
        <select value={fields.skip_queue} onChange={(e) => set("skip_queue", e.target.value)}>
          <option value="REQUEUE_FOR_OTHERS">Go to other annotators</option>
          <option value="REQUEUE_FOR_ME">Come back to the same annotator later</option>
          <option value="IGNORE_SKIPPED">Count as done</option>
        </select>
      </Field>
      <label className="check"><input type="checkbox" checked={fields.show_skip_button} onChange={(e) => set("show_skip_button", e.target.checked)} /> Show the Skip button</label>
      <label className="check"><input type="checkbox" checked={fields.enable_empty_annotation} onChange={(e) => set("enable_empty_annotation", e.target.checked)} /> Allow empty annotations</label>
      <label className="check"><input type="checkbox" checked={fields.show_annotation_history} onChange={(e) => set("show_annotation_history", e.target.checked)} /> Show annotation history to annotators</label>
      <label className="check"><input type="checkbox" checked={fields.show_collab_predictions} onChange={(e) => set("show_collab_predictions", e.target.checked)} /> Show predictions to annotators</label>
    </SettingsForm>
  );
}

function Labeling({ project, me }: { project: Project; me: Me }) {
  const save = useSaveProject(project);
  const [config, setConfig] = useState(project.label_config);
  // The preview shows the project's own first task, when it has one.
  const first = useQuery({
    queryKey: ["first-task", project.id],
    queryFn: () => api<{ tasks: { data: Record<string, unknown> }[] }>(`/api/tasks/?project=${project.id}&page_size=1&include=id,data`),
  });
  return (
    <SettingsForm
      title="Labeling interface"
      save={save}
      onSubmit={() => save.mutate({ label_config: config })}
      outside={first.isPending ? <p className="muted" role="status">Loading a task for the preview…</p> : <ConfigEditor value={config} onChange={setConfig} me={me} sample={first.data?.tasks[0]?.data} validateUrl={`/api/projects/${project.id}/validate/`} serverError={fieldErrors(save.error).label_config?.join(" ")} />}
    />
  );
}

function Instructions({ project }: { project: Project }) {
  const save = useSaveProject(project);
  const [text, setText] = useState(project.expert_instruction ?? "");
  const [show, setShow] = useState(project.show_instruction);
  const errors = fieldErrors(save.error);
  return (
    <SettingsForm title="Instructions" save={save} onSubmit={() => save.mutate({ expert_instruction: text, show_instruction: show })}>
      <Field label="Instructions for annotators (HTML allowed)" error={errors.expert_instruction}>
        <textarea rows={8} value={text} onChange={(e) => setText(e.target.value)} />
      </Field>
      <label className="check"><input type="checkbox" checked={show} onChange={(e) => setShow(e.target.checked)} /> Show the instructions before labeling</label>
      {text && (
        <div>
          <h3>Preview</h3>
          <div className="instructions" dangerouslySetInnerHTML={{ __html: cleanInstructions(text) }} />
        </div>
      )}
    </SettingsForm>
  );
}

type Danger = "tasks" | "annotations" | "project";

/** Deleting tasks, annotations or the project, each behind a confirmation. */
function DangerZone({ project }: { project: Project }) {
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [asking, setAsking] = useState<Danger | null>(null);
  const [typed, setTyped] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const everything = JSON.stringify({ selectedItems: { all: true, excluded: [] } });
  const run = useMutation({
    mutationFn: async (what: Danger) => {
      if (what === "tasks") await api(`/api/projects/${project.id}/tasks/`, { method: "DELETE" });
      if (what === "annotations") await api(`/api/dm/actions/?project=${project.id}&id=delete_tasks_annotations`, { method: "POST", body: everything });
      if (what === "project") await api(`/api/projects/${project.id}/`, { method: "DELETE" });
      return what;
    },
    onSuccess: (what) => {
      setAsking(null);
      queries.invalidateQueries({ queryKey: ["projects"] });
      if (what === "project") {
        queries.removeQueries({ queryKey: ["project", String(project.id)] });
        navigate("/projects");
        return;
      }
      refreshProject(queries, project.id);
      setDone(what === "tasks" ? "Every task was deleted." : "Every annotation was deleted.");
    },
  });
  const rows: { id: Danger; title: string; text: string }[] = [
    { id: "annotations", title: "Delete all annotations", text: "Removes every annotation and draft; tasks and predictions stay." },
    { id: "tasks", title: "Delete all tasks", text: "Removes every task with its annotations, predictions and drafts." },
    { id: "project", title: "Delete project", text: "Removes the project and everything in it." },
  ];
  const chosen = rows.find((r) => r.id === asking);
  return (
    <div className="form">
      <h2>Danger zone</h2>
      {done && <p className="notice" role="status">{done}</p>}
      <ul className="list danger">
        {rows.map((row) => (
          <li key={row.id}>
            <span><strong>{row.title}</strong><br /><span className="muted">{row.text}</span></span>
            <button className="danger" onClick={() => { setTyped(""); run.reset(); setAsking(row.id); }}>{row.title}</button>
          </li>
        ))}
      </ul>
      {chosen && (
        <Dialog title={`${chosen.title}?`} onClose={() => setAsking(null)}>
          <p>{chosen.text} This cannot be undone.</p>
          <label className="stacked">
            Type the project name, <strong>{project.title}</strong>, to confirm
            <input value={typed} onChange={(e) => setTyped(e.target.value)} aria-label="Project name to confirm" />
          </label>
          {run.isError && <p className="error" role="alert">{run.error.message}</p>}
          <div className="actions">
            <button onClick={() => setAsking(null)}>Cancel</button>
            <button className="danger" disabled={typed !== project.title || run.isPending} onClick={() => run.mutate(chosen.id)}>{chosen.title}</button>
          </div>
        </Dialog>
      )}
    </div>
  );
}

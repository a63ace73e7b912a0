import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { can, roleTitle, whoCanChange } from "../access";
import { api, ApiError, type Me, type Project } from "../api";
import { ConfigEditor } from "../components/ConfigEditor";
import { ImportPicker } from "../components/ImportPicker";
import { ImportStatus, useImporter } from "../components/Importer";
import { TemplateGallery } from "../components/TemplateGallery";
import { dataKeys, missingColumns, renameDataKey } from "../lib";
import { reimport, uploadFiles } from "../upload";
import { TEMPLATES } from "../templates";

type Step = "name" | "import" | "labeling";
const STEPS: { id: Step; title: string }[] = [
  { id: "name", title: "Project name" },
  { id: "import", title: "Data import" },
  { id: "labeling", title: "Labeling setup" },
];

/**
 * The create-project wizard: name and description, data to import (sent once the project
 * exists, with progress), and the labeling setup from a template.
 */
export function CreateProject({ me }: { me: Me }) {
  if (!can(me, "projects.create")) {
    return (
      <div className="empty" role="status">
        <p>Managers, administrators and owners create projects; your role is {roleTitle(me)}.</p>
        <p className="muted">Ask {whoCanChange(me)} for the Manager role.</p>
        <Link to="/projects">Back to projects</Link>
      </div>
    );
  }
  return <Wizard me={me} />;
}

/** A file chosen in the wizard, uploaded aside at once: its upload ids and data columns. */
interface Uploaded {
  file: File;
  ids: number[];
  columns: string[];
}

/** The columns every uploaded file has (media files, one task each, have `$undefined$`). */
function sharedColumns(uploaded: Uploaded[]): string[] {
  if (!uploaded.length) return [];
  return uploaded.slice(1).reduce((shared, u) => shared.filter((c) => u.columns.includes(c)), uploaded[0].columns);
}

/** The config a project starts from while its files upload, before the real one is saved. */
const DRAFT_CONFIG = "<View></View>";

function Wizard({ me }: { me: Me }) {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [step, setStep] = useState<Step>("name");
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [uploaded, setUploaded] = useState<Uploaded[]>([]);
  const [uploading, setUploading] = useState<string | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [urls, setUrls] = useState("");
  const [templateId, setTemplateId] = useState(TEMPLATES[0].id);
  const [config, setConfig] = useState(TEMPLATES[0].config);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  // The project files upload into as soon as they are chosen (Label Studio's draft project);
  // deleted again when the wizard is left without saving.
  const draft = useRef<Project | null>(null);
  const saved = useRef(false);
  const importer = useImporter();
  const template = TEMPLATES.find((t) => t.id === templateId);
  const columns = sharedColumns(uploaded);
  const problems = missingColumns(config, columns);

  useEffect(() => {
    const discard = () => {
      if (draft.current && !saved.current) {
        fetch(`/api/projects/${draft.current.id}/`, { method: "DELETE", credentials: "same-origin", keepalive: true });
        draft.current = null;
      }
    };
    window.addEventListener("pagehide", discard);
    return () => {
      window.removeEventListener("pagehide", discard);
      discard();
    };
  }, []);

  const draftProject = async (): Promise<Project> => {
    draft.current ??= await api<Project>("/api/projects/", { method: "POST", body: JSON.stringify({ title: "New project", label_config: DRAFT_CONFIG }) });
    return draft.current;
  };

  /** Keeps the chosen files; new ones upload at once, one by one, and tell their columns. */
  const chooseFiles = async (next: File[]) => {
    const added = next.filter((f) => !files.includes(f));
    setFiles(next);
    setUploaded((done) => done.filter((u) => next.includes(u.file)));
    setUploadError(null);
    for (const file of added) {
      try {
        setUploading(`Uploading ${file.name}…`);
        const project = await draftProject();
        const result = await uploadFiles(project.id, [file], (fraction) => setUploading(`Uploading ${file.name}… ${Math.round(fraction * 100)}%`), true);
        setUploaded((done) => [...done, { file, ids: result.file_upload_ids, columns: result.data_columns }]);
      } catch (e) {
        setFiles((kept) => kept.filter((f) => f !== file));
        setUploadError(`${file.name} could not be read: ${(e as Error).message}`);
      }
    }
    setUploading(null);
  };

  const cancel = async () => {
    const project = draft.current;
    draft.current = null;
    if (project) await api(`/api/projects/${project.id}/`, { method: "DELETE" }).catch(() => undefined);
    queries.invalidateQueries({ queryKey: ["projects"] });
    navigate("/projects");
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (problems.length) {
      setStep("labeling");
      return;
    }
    setSaving(true);
    setFailure(null);
    setErrors({});
    // The config on screen is what is saved, also when saving again after a failed import.
    const fields = JSON.stringify({ title, description, label_config: config });
    let project: Project;
    try {
      project = draft.current
        ? await api<Project>(`/api/projects/${draft.current.id}/`, { method: "PATCH", body: fields })
        : await api<Project>("/api/projects/", { method: "POST", body: fields });
      draft.current = project;
    } catch (e) {
      const found = e instanceof ApiError ? e.messages.fields : {};
      setErrors(found);
      if (found.label_config) setStep("labeling");
      else if (found.title || found.description) setStep("name");
      if (!Object.keys(found).length) setFailure((e as Error).message);
      setSaving(false);
      return;
    }
    queries.invalidateQueries({ queryKey: ["projects"] });
    queries.invalidateQueries({ queryKey: ["workspaces"] });
    try {
      const ids = uploaded.flatMap((u) => u.ids);
      if (ids.length) await reimport(project.id, ids);
    } catch (e) {
      setStep("import");
      setFailure(`The files could not be imported with this setup: ${(e as Error).message} Change the setup and save again.`);
      setSaving(false);
      return;
    }
    if (urls.trim() && !(await importer.run(project.id, [], urls, dataKeys(config)[0]))) {
      setStep("import");
      setFailure("The URLs could not be imported. Save again to retry, or import from the Data Manager.");
      setSaving(false);
      return;
    }
    saved.current = true;
    navigate(`/projects/${project.id}/data`);
  };

  const columnProblems = problems.length > 0 && (
    <div className="problems" role="alert" data-testid="column-problems">
      {problems.map(({ key, candidates }) => (
        <p key={key}>
          The labeling setup reads <code>${key}</code>, but your data has no “{key}” column (it has {columns.map((c) => `“${c}”`).join(", ")}).{" "}
          {candidates.length > 0 && (
            <label>
              Read it from{" "}
              <select aria-label={`Column for $${key}`} value="" onChange={(e) => e.target.value && setConfig(renameDataKey(config, key, e.target.value))}>
                <option value="">choose a column…</option>
                {candidates.map((c) => <option key={c} value={c}>{c}</option>)}
              </select>
            </label>
          )}
        </p>
      ))}
    </div>
  );

  return (
    <section className="wizard">
      <div className="toolbar">
        <h1>Create project</h1>
        <div className="segmented" role="tablist" aria-label="Steps">
          {STEPS.map((s) => (
            <button type="button" role="tab" key={s.id} aria-selected={step === s.id} onClick={() => setStep(s.id)}>
              {s.title}
              {((s.id === "name" && (errors.title || errors.description)) || (s.id === "labeling" && (errors.label_config || problems.length > 0))) && <span className="badge-error" aria-label="has errors">!</span>}
            </button>
          ))}
        </div>
        <button type="button" onClick={cancel}>Cancel</button>
        <button type="submit" form="create-project" className="primary" disabled={saving || !!uploading}>{saving ? "Saving…" : "Save"}</button>
      </div>
      {failure && <p className="error" role="alert">{failure}</p>}
      <ImportStatus state={importer.state} />
      {/* Only the name step is the form: the editor's own buttons in the preview must not submit it. */}
      <form id="create-project" onSubmit={save} hidden={step !== "name"} className="form narrow">
        <label>
          Project name
          <input name="title" value={title} onChange={(e) => setTitle(e.target.value)} aria-invalid={!!errors.title} placeholder="New project" />
          {errors.title && <span className="field-error">{errors.title.join(" ")}</span>}
        </label>
        <label>
          Description
          <textarea name="description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} aria-invalid={!!errors.description} />
          {errors.description && <span className="field-error">{errors.description.join(" ")}</span>}
        </label>
      </form>
      <div hidden={step !== "import"} className="form">
        <ImportPicker files={files} onFiles={chooseFiles} urls={urls} onUrls={setUrls} disabled={saving || !!uploading} />
        {uploading ? (
          <p className="muted" role="status">{uploading}</p>
        ) : uploadError ? (
          <p className="error" role="alert">{uploadError}</p>
        ) : (
          columns.length > 0 && !columns.includes("$undefined$") && <p className="muted" data-testid="data-columns">Columns found: {columns.join(", ")}.</p>
        )}
        {step === "import" && columnProblems}
      </div>
      {step === "labeling" && (
        <div className="form">
          {columnProblems}
          <TemplateGallery
            chosen={templateId}
            onChoose={(t) => {
              setTemplateId(t.id);
              setConfig(t.config);
            }}
          />
          <ConfigEditor value={config} onChange={setConfig} me={me} template={template} validateUrl="/api/projects/validate/" serverError={errors.label_config?.join(" ")} />
        </div>
      )}
    </section>
  );
}

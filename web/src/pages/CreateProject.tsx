import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { can, roleTitle, whoCanChange } from "../access";
import { api, ApiError, type Me, type Project } from "../api";
import { ConfigEditor } from "../components/ConfigEditor";
import { ImportPicker } from "../components/ImportPicker";
import { ImportStatus, useImporter } from "../components/Importer";
import { TemplateGallery } from "../components/TemplateGallery";
import { dataKeys } from "../lib";
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

function Wizard({ me }: { me: Me }) {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [step, setStep] = useState<Step>("name");
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [urls, setUrls] = useState("");
  const [templateId, setTemplateId] = useState(TEMPLATES[0].id);
  const [config, setConfig] = useState(TEMPLATES[0].config);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  // Set once the project exists: saving again then only retries the import.
  const [created, setCreated] = useState<Project | null>(null);
  const importer = useImporter();
  const template = TEMPLATES.find((t) => t.id === templateId);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setFailure(null);
    setErrors({});
    let project = created;
    if (!project) {
      try {
        project = await api<Project>("/api/projects/", { method: "POST", body: JSON.stringify({ title, description, label_config: config }) });
        setCreated(project);
      } catch (e) {
        const fields = e instanceof ApiError ? e.messages.fields : {};
        setErrors(fields);
        if (fields.label_config) setStep("labeling");
        else if (fields.title || fields.description) setStep("name");
        if (!Object.keys(fields).length) setFailure((e as Error).message);
        setSaving(false);
        return;
      }
    }
    queries.invalidateQueries({ queryKey: ["projects"] });
    queries.invalidateQueries({ queryKey: ["workspaces"] });
    // The project exists now; a failed import leaves it there and says so on the import step.
    if ((files.length || urls.trim()) && !(await importer.run(project.id, files, urls, dataKeys(config)[0]))) {
      setStep("import");
      setFailure("The project was created, but the import failed. Save again to retry the import, or import from the Data Manager.");
      setSaving(false);
      return;
    }
    navigate(`/projects/${project.id}/data`);
  };

  return (
    <section className="wizard">
      <div className="toolbar">
        <h1>Create project</h1>
        <div className="segmented" role="tablist" aria-label="Steps">
          {STEPS.map((s) => (
            <button type="button" role="tab" key={s.id} aria-selected={step === s.id} onClick={() => setStep(s.id)}>
              {s.title}
              {((s.id === "name" && (errors.title || errors.description)) || (s.id === "labeling" && errors.label_config)) && <span className="badge-error" aria-label="has errors">!</span>}
            </button>
          ))}
        </div>
        <button type="button" onClick={() => navigate("/projects")}>Cancel</button>
        <button type="submit" form="create-project" className="primary" disabled={saving}>{saving ? "Saving…" : "Save"}</button>
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
        <ImportPicker files={files} onFiles={setFiles} urls={urls} onUrls={setUrls} disabled={saving} />
        <p className="muted">Files are uploaded when you save the project.</p>
      </div>
      {step === "labeling" && (
        <div className="form">
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

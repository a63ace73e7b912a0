import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { api, ApiError, type Project } from "../api";
import { TEMPLATES } from "../lib";

/** Creating a project: name, description and a labeling setup from a template (editable XML). */
export function CreateProject() {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [template, setTemplate] = useState(TEMPLATES[0].id);
  const [config, setConfig] = useState(TEMPLATES[0].config);
  const create = useMutation({
    mutationFn: () => api<Project>("/api/projects/", { method: "POST", body: JSON.stringify({ title, description, label_config: config }) }),
    onSuccess: (project) => {
      queries.invalidateQueries({ queryKey: ["projects"] });
      queries.invalidateQueries({ queryKey: ["workspaces"] });
      navigate(`/projects/${project.id}`);
    },
  });
  const errors = create.error instanceof ApiError ? create.error.messages.fields : {};
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const pick = (id: string) => {
    setTemplate(id);
    setConfig(TEMPLATES.find((t) => t.id === id)?.config ?? "");
  };
  return (
    <section className="narrow">
      <h1>Create project</h1>
      <form onSubmit={submit} className="form">
        <label>
          Project name
          <input name="title" value={title} onChange={(e) => setTitle(e.target.value)} required aria-invalid={!!errors.title} />
          {errors.title && <span className="field-error">{errors.title.join(" ")}</span>}
        </label>
        <label>
          Description
          <textarea name="description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <fieldset className="templates">
          <legend>Labeling setup</legend>
          {TEMPLATES.map((t) => (
            <label key={t.id} className={t.id === template ? "template chosen" : "template"}>
              <input type="radio" name="template" value={t.id} checked={t.id === template} onChange={() => pick(t.id)} />
              <strong>{t.title}</strong>
              <span className="muted">{t.group}</span>
            </label>
          ))}
        </fieldset>
        <label>
          Labeling configuration (XML)
          <textarea name="label_config" className="code" rows={10} value={config} onChange={(e) => setConfig(e.target.value)} aria-invalid={!!errors.label_config} />
          {errors.label_config && <span className="field-error">{errors.label_config.join(" ")}</span>}
        </label>
        {create.isError && !Object.keys(errors).length && <p className="error" role="alert">{create.error.message}</p>}
        <div className="actions">
          <button type="button" onClick={() => navigate("/projects")}>Cancel</button>
          <button type="submit" className="primary" disabled={create.isPending}>{create.isPending ? "Creating…" : "Create"}</button>
        </div>
      </form>
    </section>
  );
}

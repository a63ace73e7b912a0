import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { api, ApiError, type Me } from "../api";
import { editLabels, labelGroups, paletteColor, parseXml, type LabelEdit } from "../configModel";
import type { LsfTask } from "../lsf";
import { sampleData } from "../lib";
import { taskDataSanitizer } from "../sanitize";
import type { Template } from "../templates";
import { Editor } from "./Editor";

const XmlCode = lazy(() => import("./XmlCode"));

/**
 * The labeling setup editor: a visual editor of labels and choices, the XML in CodeMirror,
 * the server's validation, and a live preview rendered by the editor with sample data.
 */
export function ConfigEditor({ value, onChange, me, template, sample, validateUrl, serverError }: {
  value: string;
  onChange(config: string): void;
  me: Me;
  template?: Template;
  /** Data to preview with when no template is chosen (a project's own first task). */
  sample?: Record<string, unknown>;
  /** Where the server checks the config (a project's own route also checks existing annotations). */
  validateUrl: string;
  /** The error the last save answered for `label_config`. */
  serverError?: string;
}) {
  const [mode, setMode] = useState<"visual" | "code">("visual");
  // The config on preview and the template whose sample data it shows, changed together: a new
  // template's sample under the previous config (while typing pauses) would not fit it.
  const base = template?.sample ?? sample;
  const [previewed, setPreviewed] = useState({ config: value, base });
  const [checked, setChecked] = useState<{ config: string; error: string | null } | null>(null);
  const xmlError = parseXml(value).error;

  // The preview and the server check follow the config once typing pauses.
  useEffect(() => {
    if (xmlError) return;
    const timer = setTimeout(() => {
      setPreviewed({ config: value, base });
      api(validateUrl, { method: "POST", body: JSON.stringify({ label_config: value }) })
        .then(() => setChecked({ config: value, error: null }))
        .catch((e: Error) => setChecked({ config: value, error: e instanceof ApiError ? (e.messages.fields.label_config?.join(" ") ?? e.message) : e.message }));
    }, 500);
    return () => clearTimeout(timer);
  }, [value, base, xmlError, validateUrl]);

  const serverMessage = checked?.config === value ? checked.error : null;
  const shownError = xmlError ?? serverMessage ?? serverError ?? null;
  const sampleTask = useMemo<LsfTask>(() => ({ id: 1, data: taskDataSanitizer(previewed.config)(sampleData(previewed.config, previewed.base)), annotations: [], predictions: [] }), [previewed]);

  return (
    <div className="config-editor">
      <div className="config-side">
        <div className="segmented" role="tablist" aria-label="Editor">
          <button type="button" role="tab" aria-selected={mode === "visual"} onClick={() => setMode("visual")}>Visual</button>
          <button type="button" role="tab" aria-selected={mode === "code"} onClick={() => setMode("code")}>Code</button>
        </div>
        {mode === "visual" ? (
          <VisualLabels config={value} onChange={onChange} />
        ) : (
          <Suspense fallback={<p className="muted" role="status">Loading the code editor…</p>}>
            <XmlCode value={value} onChange={onChange} label="Labeling configuration (XML)" />
          </Suspense>
        )}
        {shownError ? (
          <p className="field-error" role="alert" data-testid="config-error">{shownError}</p>
        ) : checked?.config === value ? (
          <p className="muted" data-testid="config-ok">The server accepts this config.</p>
        ) : null}
      </div>
      <div className="config-preview" aria-label="Live preview">
        <h3>Preview</h3>
        {xmlError ? <p className="muted">The preview waits for well-formed XML.</p> : <Editor config={previewed.config} task={sampleTask} me={me} mode="sample" />}
      </div>
    </div>
  );
}

/** Labels and choices of every group: add, rename, recolor, remove. */
function VisualLabels({ config, onChange }: { config: string; onChange(config: string): void }) {
  const groups = labelGroups(config);
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState<Record<string, string>>({});
  const apply = (group: string, edit: LabelEdit) => {
    const out = editLabels(config, group, edit);
    if ("error" in out) setError(out.error);
    else {
      setError(null);
      onChange(out.xml);
    }
  };
  const add = (group: (typeof groups)[number]) => {
    apply(group.name, { kind: "add", value: adding[group.name] ?? "", background: group.tag === "Choices" ? undefined : paletteColor(group.items.length) });
    setAdding({ ...adding, [group.name]: "" });
  };
  if (!groups.length) {
    return <p className="muted">This config has no labels or choices to edit here; use the Code tab.</p>;
  }
  return (
    <div className="visual-labels">
      {groups.map((group) => (
        <fieldset key={group.name} className="label-group">
          <legend>{group.tag} <span className="muted">“{group.name}” on {group.toName}</span></legend>
          <ul>
            {group.items.map((item) => (
              <li key={item.value}>
                <input
                  type="color"
                  aria-label={`Color of ${item.value}`}
                  value={item.background && /^#[0-9a-f]{6}$/i.test(item.background) ? item.background : "#8b95a1"}
                  onChange={(e) => apply(group.name, { kind: "recolor", value: item.value, background: e.target.value })}
                />
                <input
                  aria-label={`Name of ${item.value}`}
                  defaultValue={item.value}
                  onBlur={(e) => e.target.value !== item.value && apply(group.name, { kind: "rename", from: item.value, to: e.target.value })}
                  onKeyDown={(e) => {
                    if (e.key !== "Enter") return;
                    e.preventDefault();
                    (e.target as HTMLInputElement).blur();
                  }}
                />
                <button type="button" className="subtle" aria-label={`Remove ${item.value}`} onClick={() => apply(group.name, { kind: "remove", value: item.value })}>×</button>
              </li>
            ))}
          </ul>
          <div className="add-label">
            <input
              aria-label={`New label for ${group.name}`}
              placeholder="New label"
              value={adding[group.name] ?? ""}
              onChange={(e) => setAdding({ ...adding, [group.name]: e.target.value })}
              onKeyDown={(e) => {
                if (e.key !== "Enter") return;
                e.preventDefault();
                add(group);
              }}
            />
            <button type="button" onClick={() => add(group)}>Add</button>
          </div>
        </fieldset>
      ))}
      {error && <p className="field-error" role="alert">{error}</p>}
    </div>
  );
}

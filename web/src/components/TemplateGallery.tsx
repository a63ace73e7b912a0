import { TEMPLATES, type Template } from "../templates";

/** The templates by group, as radio cards; choosing one replaces the config. */
export function TemplateGallery({ chosen, onChoose }: { chosen: string; onChoose(template: Template): void }) {
  const groups = Array.from(new Set(TEMPLATES.map((t) => t.group)));
  return (
    <fieldset className="gallery">
      <legend>Templates</legend>
      {groups.map((group) => (
        <div key={group} className="gallery-group">
          <h3>{group}</h3>
          <div className="templates">
            {TEMPLATES.filter((t) => t.group === group).map((t) => (
              <label key={t.id} className={t.id === chosen ? "template chosen" : "template"}>
                <input type="radio" name="template" value={t.id} checked={t.id === chosen} onChange={() => onChoose(t)} />
                <strong>{t.title}</strong>
              </label>
            ))}
          </div>
        </div>
      ))}
    </fieldset>
  );
}

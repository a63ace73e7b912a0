import { useEffect, useRef, useState } from "react";
import { loadLabelStudio, type LsfInstance, type LsfStore, type LsfAnnotation, type LsfTask } from "../lsf";
import { askForSuggestions, drawnContext, suggestionsOf } from "../interactive";
import type { Start } from "../labeling";
import type { Me } from "../api";
import { keymapOf } from "../hotkeys";

/** What the host does with the editor's events; each returns when the server answered. */
export interface EditorHandlers {
  submit?(annotation: LsfAnnotation): Promise<void>;
  update?(annotation: LsfAnnotation): Promise<void>;
  skip?(annotation: LsfAnnotation | null): Promise<void>;
  saveDraft?(annotation: LsfAnnotation): Promise<void>;
}

/** The editor's panels and buttons for labeling; the preview shows the task without them. */
const LABELING_INTERFACES = [
  "update", "submit", "controls", "topbar", "side-column", "infobar", "instruction",
  "annotations:history", "annotations:current", "annotations:tabs", "annotations:add-new",
  "annotations:delete", "predictions:tabs", "edit-history",
];
const PREVIEW_INTERFACES = ["side-column", "annotations:tabs", "annotations:current", "predictions:tabs"];
/** Labeling in the Data Manager's narrow quick view: the buttons without the side column. */
const QUICK_INTERFACES = ["update", "submit", "controls", "topbar", "annotations:current", "edit-history"];
const SAMPLE_INTERFACES = ["side-column", "edit-history"];

interface EditorProps {
  config: string;
  task: LsfTask;
  me: Me;
  /** Labeling shows the buttons (`quick`: in the narrow quick view); a preview is read-only; a
   * sample is a config's live preview. */
  mode: "label" | "quick" | "preview" | "sample";
  /** Whether the skip button is offered (labeling only). */
  skippable?: boolean;
  /** What a new annotation starts from; null leaves the task's annotations as they are. */
  start?: Start | null;
  instructions?: string;
  handlers?: EditorHandlers;
  /** Gets the editor's store once it is ready (the host reads the current annotation from it). */
  onStore?(store: LsfStore | null): void;
  /** The project's interactive ML backend: labeling offers Auto-Annotation and asks it about
   * every region the annotator finishes. */
  interactive?: number | null;
}

/**
 * The Label Studio editor for one task. It is mounted anew whenever the task or the config
 * changes (the editor keeps global state: one per page).
 */
export function Editor({ config, task, me, mode, skippable, start, instructions, handlers, onStore, interactive }: EditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const latest = useRef({ handlers, start, onStore });
  latest.current = { handlers, start, onStore };
  const [error, setError] = useState<string | null>(null);
  // Why the model suggested nothing last time, apart from the editor's own errors.
  const [suggestionProblem, setSuggestionProblem] = useState<string | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let cancelled = false;
    let instance: LsfInstance | null = null;
    let editorStore: LsfStore | null = null;
    const element = document.createElement("div");
    host.current?.appendChild(element);
    setReady(false);
    setError(null);
    setSuggestionProblem(null);
    const labeling = mode === "label" || mode === "quick";
    const suggesting = labeling && interactive ? interactive : null;
    const buttons = [...(skippable ? ["skip"] : []), ...(suggesting ? ["auto-annotation"] : [])];
    const interfaces =
      mode === "label" ? [...LABELING_INTERFACES, ...buttons] : mode === "quick" ? [...QUICK_INTERFACES, ...buttons] : mode === "preview" ? PREVIEW_INTERFACES : SAMPLE_INTERFACES;
    const call = (run: () => Promise<void> | undefined) => {
      run()?.catch((e: Error) => setError(e.message));
    };
    loadLabelStudio()
      .then((LabelStudio) => {
        if (cancelled) return;
        instance = new LabelStudio(element, {
          config,
          interfaces,
          task,
          description: instructions,
          keymap: keymapOf(me.custom_hotkeys),
          user: { pk: me.id, firstName: me.first_name || me.email, lastName: me.last_name },
          onStorageInitialized(store: LsfStore) {
            editorStore = store;
            setReady(true);
            latest.current.onStore?.(store);
            if (mode === "preview") {
              // A task without work still shows its data, in an empty annotation nobody can edit.
              setTimeout(() => {
                const annotations = store.annotationStore;
                if (!annotations.annotations.length && !annotations.predictions.length) beginAnnotation(store, { kind: "empty" });
                annotations.annotations.forEach((a) => a.setEdit?.(false));
              });
              return;
            }
            // Runs after the task's annotations are in the store (onLabelStudioLoad is too early).
            const start = mode === "sample" ? { kind: "empty" as const } : (latest.current.start ?? null);
            setTimeout(() => beginAnnotation(store, start));
          },
          onSubmitAnnotation: (_store, annotation) => call(() => latest.current.handlers?.submit?.(annotation)),
          onUpdateAnnotation: (_store, annotation) => call(() => latest.current.handlers?.update?.(annotation)),
          onSkipTask: (store) => call(() => latest.current.handlers?.skip?.(store.annotationStore.selected)),
          onSubmitDraft: async (_store, annotation) => {
            await latest.current.handlers?.saveDraft?.(annotation).catch((e: Error) => setError(e.message));
          },
        });
        if (suggesting) {
          instance.on("regionFinishedDrawing", (_region, group) => {
            const annotation = editorStore?.annotationStore.selected;
            if (!editorStore || !annotation || cancelled) return;
            const context = drawnContext(annotation.serializeAnnotation(), group.map((r) => r.cleanId));
            const answer = askForSuggestions(suggesting, task.id, context, (problem) => !cancelled && setSuggestionProblem(problem));
            editorStore.loadSuggestions(answer, suggestionsOf);
          });
        }
      })
      .catch((e: Error) => !cancelled && setError(e.message));
    return () => {
      cancelled = true;
      latest.current.onStore?.(null);
      instance?.destroy();
      element.remove();
    };
    // The editor is rebuilt for another task or config only; handlers are read through a ref.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [config, task, mode, skippable, interactive]);

  return (
    <div className="editor-frame">
      {error && <p className="error" role="alert">{error}</p>}
      {suggestionProblem && <p className="error" role="alert" data-testid="suggestion-problem">{suggestionProblem}</p>}
      {!ready && !error && <p className="muted" role="status">Loading the editor…</p>}
      <div ref={host} className="editor" data-testid={`editor-${mode}`} />
    </div>
  );
}

/** Creates the annotation the user works on, from their draft, a prediction or nothing. */
function beginAnnotation(store: LsfStore, start: Start | null) {
  const annotations = store.annotationStore;
  if (!start) return;
  if (start.kind === "prediction" && annotations.predictions.length) {
    const copy = annotations.addAnnotationFromPrediction(annotations.predictions[0]);
    annotations.selectAnnotation(copy.id);
    return;
  }
  const annotation = annotations.addAnnotation({ userGenerate: true });
  annotations.selectAnnotation(annotation.id);
  if (start.kind === "draft") {
    annotation.deserializeResults(start.draft.result);
    annotation.addVersions({ draft: start.draft.result });
  }
}

// The Label Studio editor (LSF): loaded once, on the first page that needs it, from the bundle
// scripts/copy-lsf.mjs copies out of the npm package. Facts about its API:
// ../shared/reference/lsf-embedding.md.

declare const __LSF_VERSION__: string;

/** Where the editor's bundle is served from (versioned, so cached for good). */
export const LSF_BASE = `/assets/lsf-${__LSF_VERSION__}/`;

/** A region or value as the editor serializes it (Label Studio's `result` item). */
export type ResultItem = Record<string, unknown>;

/** An annotation inside the editor (the parts the app uses). */
export interface LsfAnnotation {
  id: string;
  pk: string | null;
  serializeAnnotation(): ResultItem[];
  updatePersonalKey(pk: string): void;
  deserializeResults(result: ResultItem[]): void;
  addVersions(versions: { result?: ResultItem[]; draft?: ResultItem[] }): void;
  setEdit?(editable: boolean): void;
}

/** The editor's store handed to callbacks. */
export interface LsfStore {
  /** Shows what `answer` resolves to, read by `parse`, as suggestions (interactive pre-annotation). */
  loadSuggestions(answer: Promise<unknown>, parse: (answer: unknown) => ResultItem[] | null): void;
  annotationStore: {
    annotations: LsfAnnotation[];
    predictions: { id: string; pk: string | null }[];
    selected: LsfAnnotation | null;
    addAnnotation(options: Record<string, unknown>): LsfAnnotation;
    selectAnnotation(id: string): void;
    addAnnotationFromPrediction(prediction: unknown): LsfAnnotation;
  };
}

/** A task in the shape the editor reads. */
export interface LsfTask {
  id: number;
  data: Record<string, unknown>;
  annotations: Record<string, unknown>[];
  predictions: Record<string, unknown>[];
}

/** Options of `new LabelStudio(...)` that the app passes. */
export interface LsfOptions {
  config: string;
  interfaces: string[];
  user: { pk: number; firstName: string; lastName: string };
  task: LsfTask;
  description?: string;
  /** Rebound hotkeys (`annotation:submit` → `{key, mac, description}`). */
  keymap?: Record<string, { key: string; mac: string; description: string }>;
  onStorageInitialized?(store: LsfStore): void;
  onSubmitAnnotation?(store: LsfStore, annotation: LsfAnnotation): void;
  onUpdateAnnotation?(store: LsfStore, annotation: LsfAnnotation): void;
  onSkipTask?(store: LsfStore): void;
  onSubmitDraft?(store: LsfStore, annotation: LsfAnnotation): Promise<void>;
}

/** A region as the editor's events hand it over. */
export interface LsfRegion {
  /** The id its result item carries. */
  cleanId: string;
}

/** A mounted editor. */
export interface LsfInstance {
  destroy(): void;
  /** `regionFinishedDrawing` gets the region and the regions drawn with it. */
  on(event: "regionFinishedDrawing", handler: (region: LsfRegion, group: LsfRegion[]) => void): void;
}

type LabelStudioClass = new (element: HTMLElement, options: LsfOptions) => LsfInstance;

declare global {
  interface Window {
    LabelStudio?: LabelStudioClass;
  }
}

let loading: Promise<LabelStudioClass> | null = null;

/** Loads the editor's script and stylesheet once; later calls share the same promise. */
export function loadLabelStudio(): Promise<LabelStudioClass> {
  if (window.LabelStudio) return Promise.resolve(window.LabelStudio);
  loading ??= new Promise<LabelStudioClass>((resolve, reject) => {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = `${LSF_BASE}main.css`;
    document.head.appendChild(css);
    const script = document.createElement("script");
    script.src = `${LSF_BASE}main.js`;
    script.onload = () => (window.LabelStudio ? resolve(window.LabelStudio) : reject(new Error("The labeling editor did not start.")));
    script.onerror = () => {
      loading = null;
      script.remove();
      reject(new Error("The labeling editor could not be loaded."));
    };
    document.head.appendChild(script);
  });
  return loading;
}

/** Starts loading the editor when the browser is idle, so that the next page that shows it is quick. */
export function preloadLabelStudio(): void {
  const start = () => void loadLabelStudio().catch(() => undefined);
  if ("requestIdleCallback" in window) window.requestIdleCallback(start, { timeout: 2000 });
  else setTimeout(start, 500);
}

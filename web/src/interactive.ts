// Interactive pre-annotation, as Label Studio's app wires it into the editor: when a project has
// an interactive ML backend, every region the annotator finishes (a smart tool's point, a text
// span) is sent to `/api/ml/{id}/interactive-annotating` as context, and what the backend answers
// comes back into the editor as suggestions.

import { api } from "./api";
import type { ResultItem } from "./lsf";

/** The project's first interactive backend (the one Label Studio's app uses); null without one. */
export async function interactiveBackend(projectId: number): Promise<number | null> {
  const backends = await api<{ id: number; is_interactive: boolean }[]>(`/api/ml/?project=${projectId}&is_interactive=true`);
  return backends.find((b) => b.is_interactive)?.id ?? null;
}

/** The context of a request: the annotation's results that belong to the regions just drawn. */
export function drawnContext(results: ResultItem[], regionIds: string[]): { result: ResultItem[] } {
  return { result: results.filter((r) => regionIds.includes(String(r.id))) };
}

/** The suggestions in the server's answer (`{data: {result}}`); null for an error or anything else. */
export function suggestionsOf(answer: unknown): ResultItem[] | null {
  const data = (answer as { data?: { result?: unknown } } | null)?.data;
  return Array.isArray(data?.result) ? (data.result as ResultItem[]) : null;
}

/**
 * Asks the backend about `task` with `context`. Never fails: the editor cannot take a failed
 * request (it would wait for suggestions for good), so a failure is `null`, which suggests
 * nothing, and is reported through `onError`.
 */
export function askForSuggestions(
  backend: number,
  task: number,
  context: { result: ResultItem[] },
  onError: (message: string) => void,
): Promise<unknown> {
  return api(`/api/ml/${backend}/interactive-annotating`, { method: "POST", body: JSON.stringify({ task, context }) })
    .then((answer) => {
      const errors = (answer as { errors?: unknown } | null)?.errors;
      if (Array.isArray(errors) && errors.length) onError(`The model could not suggest anything: ${errors.join(" ")}`);
      return answer;
    })
    .catch((e: Error) => {
      onError(e.message);
      return null;
    });
}

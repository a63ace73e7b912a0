// Interactive pre-annotation, as Label Studio's app wires it into the editor: when a project has
// an interactive ML backend, every region the annotator finishes (a smart tool's point, a text
// span) is sent to `/api/ml/{id}/interactive-annotating` as context, and what the backend answers
// comes back into the editor as suggestions.

import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api } from "./api";
import type { ResultItem } from "./lsf";

/** The project's first interactive backend (the one Label Studio's app uses); null without one. */
async function interactiveBackend(projectId: number): Promise<number | null> {
  const backends = await api<{ id: number }[]>(`/api/ml/?project=${projectId}&is_interactive=true`);
  return backends[0]?.id ?? null;
}

/** How long an editor waits to learn of the interactive backend before it mounts without. */
const LOOKUP_WAIT_MS = 1500;

/**
 * The project's interactive backend for an editor about to mount (it offers Auto-Annotation
 * only when it starts with it): `pending` until known; `backend` null without one or on error.
 * Listing backends checks them, as in Label Studio, so a slow model server could hold the page:
 * past `LOOKUP_WAIT_MS` the editor starts without one. The answer is settled per `task` (a late
 * one would remount the editor over the annotator's work) and serves from the next task on.
 */
export function useInteractiveBackend(
  projectId: number,
  task: number | null,
  enabled = true,
): { pending: boolean; backend: number | null } {
  const query = useQuery({
    queryKey: ["interactive-backend", projectId],
    queryFn: () => interactiveBackend(projectId),
    enabled,
    refetchOnWindowFocus: false,
  });
  const [gaveUp, setGaveUp] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setGaveUp(true), LOOKUP_WAIT_MS);
    return () => clearTimeout(timer);
  }, []);
  const settled = useRef<{ task: number | null; backend: number | null } | null>(null);
  if (settled.current?.task !== task && (!enabled || !query.isPending || gaveUp)) {
    settled.current = { task, backend: enabled ? (query.data ?? null) : null };
  }
  const current = settled.current?.task === task ? settled.current : null;
  return { pending: current === null, backend: current?.backend ?? null };
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
 * Asks the backend about `task` with `context`. Never fails (a failure is `null`, which suggests
 * nothing, so the editor logs no error of its own); `report` gets why nothing was suggested, or
 * null when the backend answered.
 */
export function askForSuggestions(
  backend: number,
  task: number,
  context: { result: ResultItem[] },
  report: (problem: string | null) => void,
): Promise<unknown> {
  return api(`/api/ml/${backend}/interactive-annotating`, { method: "POST", body: JSON.stringify({ task, context }) })
    .then((answer) => {
      const errors = (answer as { errors?: unknown } | null)?.errors;
      report(Array.isArray(errors) && errors.length ? `The model could not suggest anything: ${errors.join(" ")}` : null);
      return answer;
    })
    .catch((e: Error) => {
      report(e.message);
      return null;
    });
}

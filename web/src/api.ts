// The REST API, called with the browser's session cookie (same origin).
import { errorMessages, type ErrorMessages } from "./lib";
import type { QueryClient } from "@tanstack/react-query";

/** A failed API call, with Label Studio's messages split by field. */
export class ApiError extends Error {
  readonly status: number;
  readonly messages: ErrorMessages;

  constructor(status: number, body: unknown) {
    const messages = errorMessages(body, status);
    super(messages.message);
    this.status = status;
    this.messages = messages;
  }
}

/** An answer's body: parsed JSON, or a non-JSON text as a `detail` message. */
export function readBody(text: string, contentType: string | null): unknown {
  if (!text) return null;
  return (contentType ?? "").includes("json") ? JSON.parse(text) : { detail: text.slice(0, 300) };
}

/** The error for a failed answer; a signed-out one (401) also sends the browser to the login page. */
export function failure(status: number, body: unknown): ApiError {
  if (status === 401) {
    window.location.assign(`/user/login/?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    return new ApiError(401, { detail: "Signed out." });
  }
  return new ApiError(status, body);
}

/** Sends a request with the session cookie; resolves to a successful answer, else throws `ApiError`. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.body && !(init.body instanceof FormData)) headers.set("Content-Type", "application/json");
  const response = await fetch(path, { ...init, headers, credentials: "same-origin" });
  if (!response.ok) throw failure(response.status, response.status === 401 ? null : readBody(await response.text(), response.headers.get("Content-Type")));
  return response;
}

/** Sends a request and parses the JSON answer. */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await request(path, init);
  return readBody(await response.text(), response.headers.get("Content-Type")) as T;
}

/** A project as the list and detail routes answer it (the fields the app reads). */
export interface Project {
  id: number;
  title: string;
  description: string;
  color: string | null;
  label_config: string;
  expert_instruction: string;
  show_instruction: boolean;
  show_skip_button: boolean;
  enable_empty_annotation: boolean;
  show_annotation_history: boolean;
  pinned_at: string | null;
  sampling: string;
  skip_queue: string;
  maximum_annotations: number;
  show_collab_predictions: boolean;
  /** The predictions shown to annotators: an ML backend's title or a prediction version. */
  model_version: string;
  task_number: number | null;
  finished_task_number: number | null;
  total_annotations_number: number | null;
  total_predictions_number: number | null;
  created_at: string;
  /** Who created the project (null once that account is gone). */
  created_by?: { id: number; email: string; first_name: string; last_name: string } | null;
}

/** The project fields the app reads: asked for with `include=`, which also spares the server the
 * per-user queue counts (a count over all of the caller's annotations). */
export const PROJECT_FIELDS = [
  "id", "title", "description", "color", "label_config", "expert_instruction", "show_instruction", "show_skip_button",
  "enable_empty_annotation", "show_annotation_history", "pinned_at", "sampling", "skip_queue", "maximum_annotations",
  "show_collab_predictions", "model_version", "task_number", "finished_task_number", "total_annotations_number", "total_predictions_number", "created_at", "created_by",
].join(",");

/** Reads one project (the fields of `Project`). */
export function fetchProject(id: number | string): Promise<Project> {
  return api<Project>(`/api/projects/${id}/?include=${PROJECT_FIELDS}`);
}

/** DRF's page. */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** A task of the Data Manager list (the fields the table shows). */
export interface Task {
  id: number;
  data: Record<string, unknown>;
  completed_at: string | null;
  total_annotations: number;
  cancelled_annotations: number;
  total_predictions: number;
  annotators: number[];
}

/** The Data Manager task list. */
export interface TaskList {
  total: number;
  total_annotations: number;
  total_predictions: number;
  tasks: Task[];
}

/** The signed-in user. */
export interface Me {
  id: number;
  email: string;
  first_name: string;
  last_name: string;
  username: string;
  phone?: string;
  /** The address of the user's picture, if they uploaded one. */
  avatar?: string | null;
  initials?: string;
  custom_hotkeys?: Record<string, { key: string; active?: boolean }>;
  last_activity?: string;
  date_joined?: string;
  active_organization: number | null;
  /** The organization's title and its owner's email (whoami only). */
  active_organization_meta?: { title: string; email: string } | null;
  /** Label Studio's permission names of the caller's role (whoami only). */
  permissions?: string[];
  /** The caller's role in the active organization (whoami only). */
  organization_membership?: { organization_id: number; role: string };
}

/** A member of the organization with their role code (`OW`, `AD`, `MA`, `RE`, `AN`, `DI`, `NO`). */
export interface Membership {
  id: number;
  role: string;
  user: Me;
}

/** A workspace as the list answers it. */
export interface Workspace {
  id: number;
  title: string;
  color: string;
  is_personal: boolean;
  projects_count: number;
}

/** A member of a project (paginated list). */
export interface ProjectMember extends Me {
  implicit_member: boolean;
}

/** An annotation as the task routes answer it (`completed_by` is an object in task details). */
export interface Annotation {
  id: number;
  result: Record<string, unknown>[];
  completed_by: number | { id: number; email: string; first_name: string; last_name: string };
  created_username: string;
  was_cancelled: boolean;
  ground_truth: boolean;
  created_at: string;
  updated_at: string;
  lead_time: number | null;
}

/** A saved, unsubmitted piece of work (`annotation` is null for a draft of a new annotation). */
export interface Draft {
  id: number;
  user: string;
  result: Record<string, unknown>[];
  annotation: number | null;
  task: number;
}

/** A model's prediction for a task. */
export interface Prediction {
  id: number;
  result: Record<string, unknown>[];
  model_version: string;
  score: number | null;
}

/** A task with its work, as `/api/tasks/{id}/` and `/api/projects/{id}/next` answer it. */
export interface TaskDetail {
  id: number;
  data: Record<string, unknown>;
  annotations: Annotation[];
  drafts: Draft[];
  predictions: Prediction[];
  queue?: string;
}

/**
 * Marks everything that shows a project's tasks or counts as stale after its tasks, annotations
 * or data changed: the task table, the project and its counters, the list, columns, previews.
 */
export function refreshProject(queries: QueryClient, projectId: number): void {
  for (const queryKey of [["tasks", String(projectId)], ["project", String(projectId)], ["projects"], ["columns", projectId], ["preview"]]) {
    queries.invalidateQueries({ queryKey });
  }
}

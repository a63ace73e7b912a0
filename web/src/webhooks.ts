// Webhooks as the app shows and edits them: the form's values and the body they make, the
// actions a webhook may choose (a project's cannot hear projects being created or deleted), and
// deliveries and failures in words.
import { plural, timeAgo } from "./lib";

/** A webhook as `/api/webhooks/` answers it. */
export interface Webhook {
  id: number;
  project: number | null;
  url: string;
  send_payload: boolean;
  send_for_all_actions: boolean;
  headers: Record<string, string>;
  is_active: boolean;
  actions: string[];
  created_at: string;
  consecutive_failures: number;
  last_failure_at: string | null;
  last_failure: string | null;
  signed: boolean;
}

/** One action as `/api/webhooks/info/` describes it. */
export interface ActionInfo {
  name: string;
  key: string;
  "organization-only": boolean;
}

/** One delivery of the log. */
export interface Delivery {
  id: number;
  action: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  response_status: number | null;
  error: string | null;
  created_at: string;
  next_attempt_at: string | null;
  finished_at: string | null;
}

/** A custom header being edited. */
export interface HeaderRow {
  name: string;
  value: string;
}

/** What the webhook form holds. */
export interface WebhookForm {
  url: string;
  headers: HeaderRow[];
  sendPayload: boolean;
  allActions: boolean;
  actions: string[];
  active: boolean;
  /** A new signing secret; empty keeps the current one. */
  secret: string;
  removeSecret: boolean;
}

/** The form of a new webhook, or of `hook` being edited. */
export function formOf(hook?: Webhook): WebhookForm {
  return {
    url: hook?.url ?? "",
    headers: Object.entries(hook?.headers ?? {}).map(([name, value]) => ({ name, value })),
    sendPayload: hook?.send_payload ?? true,
    allActions: hook?.send_for_all_actions ?? true,
    actions: hook?.actions ?? [],
    active: hook?.is_active ?? true,
    secret: "",
    removeSecret: false,
  };
}

/** The body that saves `form` (for `project`, or the organization's own with `null`). The
 * actions always go along: the server replaces them with what it gets. */
export function webhookBody(project: number | null, form: WebhookForm, editing: boolean): Record<string, unknown> {
  const headers = Object.fromEntries(form.headers.filter((h) => h.name.trim()).map((h) => [h.name.trim(), h.value]));
  const body: Record<string, unknown> = {
    url: form.url.trim(),
    headers,
    send_payload: form.sendPayload,
    send_for_all_actions: form.allActions,
    actions: form.allActions ? [] : form.actions,
    is_active: form.active,
  };
  if (!editing) body.project = project;
  if (form.removeSecret) body.secret = null;
  else if (form.secret) body.secret = form.secret;
  return body;
}

/** The actions a webhook may choose, in the server's order: a project's webhook cannot hear
 * projects being created or deleted. */
export function choosableActions(info: Record<string, ActionInfo>, forProject: boolean): [string, ActionInfo][] {
  return Object.entries(info).filter(([, action]) => !(forProject && action["organization-only"]));
}

/** What a webhook listens for, in words. */
export function listensFor(hook: Webhook, info?: Record<string, ActionInfo>): string {
  if (hook.send_for_all_actions) return "Every event";
  if (!hook.actions.length) return "No events chosen";
  return hook.actions.map((a) => info?.[a]?.name ?? a).join(", ");
}

/** A webhook's health, when its last deliveries failed. */
export function failureNote(hook: Webhook, now = Date.now()): string | null {
  if (!hook.consecutive_failures) return null;
  const when = hook.last_failure_at ? ` ${timeAgo(hook.last_failure_at, now)}` : "";
  return `${plural(hook.consecutive_failures, "failed attempt")} in a row; the last${when}: ${hook.last_failure ?? "unknown error"}`;
}

/** A delivery's state, in words. */
export function deliveryState(delivery: Delivery, now = Date.now()): string {
  const tries = plural(delivery.attempts, "attempt");
  switch (delivery.status) {
    case "delivered":
      return `Delivered (${delivery.response_status ?? "OK"}) after ${tries}`;
    case "failed":
      return `Given up after ${tries}: ${delivery.error ?? "unknown error"}`;
    default:
      return delivery.attempts
        ? `Retrying ${delivery.next_attempt_at && Date.parse(delivery.next_attempt_at) > now ? "soon" : "now"} (${tries} failed: ${delivery.error ?? "unknown error"})`
        : "Waiting to be sent";
  }
}

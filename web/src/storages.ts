// Cloud storages as the settings page shows them: their routes, their status in words, and the
// body a storage form sends.
import { plural, timeAgo } from "./lib";

/** Source storages bring tasks in; target storages receive annotations. */
export type Direction = "import" | "export";

/** A storage as `/api/storages/…` answers it (the fields the page reads; settings vary by type). */
export interface Storage {
  id: number;
  type: string;
  title: string | null;
  description?: string | null;
  status: string;
  last_sync: string | null;
  last_sync_count: number | null;
  traceback: string | null;
  meta: Record<string, unknown> | null;
  [setting: string]: unknown;
}

/** One field of a storage form, as `/api/storages/<type>/form` lays it out. */
export interface FormField {
  type: "text" | "password" | "toggle" | "counter";
  name: string;
  label: string;
  required?: boolean;
  value?: unknown;
  min?: number;
}

/** The routes of a direction's storages of one type: `/api/storages/s3`, `/api/storages/export/s3`. */
export function storagePath(direction: Direction, type: string): string {
  return direction === "import" ? `/api/storages/${type}` : `/api/storages/export/${type}`;
}

/** Whether a sync is under way (the page then polls the storage). */
export function isSyncing(storage: Pick<Storage, "status">): boolean {
  return storage.status === "queued" || storage.status === "in_progress";
}

/** A storage's state in words: what its last sync did, or what it is doing now. */
export function storageStatus(storage: Storage, direction: Direction, now = Date.now()): string {
  const noun = direction === "import" ? "task" : "annotation";
  const count = storage.last_sync_count ?? 0;
  switch (storage.status) {
    case "queued":
      return "Sync queued…";
    case "in_progress":
      return `Syncing… ${plural(count, noun)} so far`;
    case "failed":
      return "Sync failed";
    case "completed":
    case "completed_with_errors": {
      const existed = direction === "import" ? Number(storage.meta?.tasks_existed ?? 0) : 0;
      const written = direction === "import" ? plural(count, `new ${noun}`) : `${plural(count, noun)} written`;
      const parts = [`Synced ${timeAgo(storage.last_sync, now)}: ${written}`];
      if (existed) parts.push(`${plural(existed, "already synced object")} left alone`);
      if (storage.status === "completed_with_errors") parts.push(`${plural(Number(storage.meta?.tasks_failed_validation ?? 0), "object")} could not be read`);
      return parts.join(", ");
    }
    default:
      return "Not synced yet";
  }
}

/**
 * The body a storage form sends: every field's value, numbers as numbers, and secrets only when
 * typed (an edited storage keeps the secrets it has; the server never shows them).
 */
export function storageBody(project: number, fields: FormField[], values: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = { project };
  for (const field of fields) {
    const value = values[field.name];
    if (field.type === "password") {
      if (typeof value === "string" && value !== "") body[field.name] = value;
    } else if (field.type === "counter") {
      body[field.name] = value === "" || value === undefined ? field.value : Number(value);
    } else if (field.type === "toggle") {
      body[field.name] = Boolean(value);
    } else {
      body[field.name] = value ?? "";
    }
  }
  return body;
}

/** A form's starting values: the storage's own settings when editing, else the form's defaults. */
export function initialValues(fields: FormField[], storage?: Storage): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const field of fields) {
    if (field.type === "password") values[field.name] = "";
    else if (storage && storage[field.name] !== undefined && storage[field.name] !== null) values[field.name] = storage[field.name];
    else values[field.name] = field.value ?? (field.type === "toggle" ? false : "");
  }
  return values;
}

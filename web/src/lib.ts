// Pure helpers of the web app (unit-tested in lib.test.ts).
import { SAMPLE_MEDIA } from "./templates";

/** Label Studio's error envelope, as far as the app reads it. */
export interface ErrorBody {
  detail?: string;
  validation_errors?: Record<string, unknown>;
}

/** Messages of an API error: one per field, and a general one. */
export interface ErrorMessages {
  fields: Record<string, string[]>;
  message: string;
}

/** Splits an error body into field messages and a general message. */
export function errorMessages(body: unknown, status: number): ErrorMessages {
  const envelope = (body ?? {}) as ErrorBody;
  const fields: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(envelope.validation_errors ?? {})) {
    fields[key] = Array.isArray(value) ? value.map(String) : [String(value)];
  }
  const general = fields.non_field_errors?.join(" ") ?? "";
  const message = envelope.detail && envelope.detail !== "Validation error" ? envelope.detail : general || `Request failed (${status})`;
  return { fields, message };
}

/** How far a project is: finished tasks out of all, as a whole percentage. */
export function progress(project: { task_number?: number | null; finished_task_number?: number | null }): number {
  const total = project.task_number ?? 0;
  if (total <= 0) return 0;
  return Math.min(100, Math.round(((project.finished_task_number ?? 0) * 100) / total));
}

/** Number of pages for `total` items, at least one. */
export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}

/** A short, single-line preview of a task data value. */
export function snippet(value: unknown, length = 80): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? "";
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > length ? `${line.slice(0, length - 1)}…` : line;
}

/** Organization roles, as the API codes them, with their names. */
export const ROLES: { code: string; title: string }[] = [
  { code: "OW", title: "Owner" },
  { code: "AD", title: "Administrator" },
  { code: "MA", title: "Manager" },
  { code: "RE", title: "Reviewer" },
  { code: "AN", title: "Annotator" },
  { code: "DI", title: "Deactivated" },
  { code: "NO", title: "Not activated" },
];

/** Whether a role manages the organization's people (owners and administrators). */
export function managesPeople(role: string | undefined): boolean {
  return role === "OW" || role === "AD";
}

/** The roles a caller with `role` may hand out (only owners make owners). */
export function assignableRoles(role: string | undefined): { code: string; title: string }[] {
  if (!managesPeople(role)) return [];
  return ROLES.filter((r) => r.code !== "NO" && (r.code !== "OW" || role === "OW"));
}

/** Which tag reads which task data key (`<Image value="$image">`), in order of appearance. */
export function dataBindings(config: string): { tag: string; key: string }[] {
  return Array.from(config.matchAll(/<([A-Za-z]+)\b[^>]*?\bvalue\s*=\s*"\$([A-Za-z_][\w.-]*)"/g), (m) => ({ tag: m[1], key: m[2] }));
}

/** The task data keys a labeling config reads, in order of appearance. */
export function dataKeys(config: string): string[] {
  return Array.from(new Set(dataBindings(config).map((b) => b.key)));
}

/** The data keys the editor renders as HTML (HyperText tags): their values need sanitizing. */
export function htmlKeys(config: string): string[] {
  return Array.from(new Set(dataBindings(config).filter((b) => b.tag === "HyperText").map((b) => b.key)));
}

/** Lines of a URL list that look like http(s) URLs; the rest are returned as rejected. */
export function parseUrlList(text: string): { urls: string[]; rejected: string[] } {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const urls: string[] = [];
  const rejected: string[] = [];
  for (const line of lines) {
    try {
      const url = new URL(line);
      (url.protocol === "http:" || url.protocol === "https:" ? urls : rejected).push(line);
    } catch {
      rejected.push(line);
    }
  }
  return { urls, rejected };
}

/** A byte count for people: `512 B`, `3.4 kB`, `12.0 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/** Data to preview any config with: `base` (a template's sample, or a project's own task), and
 * for each data key it lacks a value by the tag that reads it. */
export function sampleData(config: string, base?: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = { ...(base ?? {}) };
  for (const { tag, key } of dataBindings(config)) {
    if (key in data) continue;
    data[key] = sampleValue(tag.toLowerCase());
  }
  return data;
}

function sampleValue(tag: string): unknown {
  switch (tag) {
    case "image":
      return SAMPLE_MEDIA.image;
    case "audio":
    case "audioplus":
      return SAMPLE_MEDIA.audio;
    case "video":
      return SAMPLE_MEDIA.video;
    case "hypertext":
      return "<p>Sample <b>HTML</b> content.</p>";
    case "paragraphs":
      return [{ author: "A", text: "Hello!" }, { author: "B", text: "Hi, how can I help?" }];
    default:
      return "Sample text for the live preview: replace it by importing your own data.";
  }
}

/** A count with its noun, pluralized and with thousands separators: "1 task", "20,000 tasks". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? noun : nouns}`;
}

/** A noun with its indefinite article: "an Annotator", "a Manager". */
export function articled(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? "an" : "a"} ${noun}`;
}

/** The config with the data variable `$from` renamed to `$to` wherever it is read. */
export function renameDataKey(config: string, from: string, to: string): string {
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return config.replace(new RegExp(`\\$${escaped}(?![\\w.-])`, "g"), `$${to}`);
}

/**
 * The config's data variables that the uploaded columns do not hold, each with the columns
 * that could stand in for it. Media uploads (one task per file) fit any config.
 */
export function missingColumns(config: string, columns: string[]): { key: string; candidates: string[] }[] {
  if (!columns.length || columns.includes("$undefined$")) return [];
  const keys = dataKeys(config);
  const unused = columns.filter((c) => !keys.includes(c));
  return keys.filter((key) => !columns.includes(key)).map((key) => ({ key, candidates: unused }));
}

/** How long ago `iso` was, in words ("just now", "5 minutes ago", "3 days ago"); `now` in ms. */
export function timeAgo(iso: string | undefined | null, now = Date.now()): string {
  if (!iso) return "never";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(seconds)) return "never";
  if (seconds < 60) return "just now";
  const steps: [number, string][] = [[60, "minute"], [3600, "hour"], [86400, "day"], [2592000, "month"], [31536000, "year"]];
  let unit = steps[0];
  for (const step of steps) if (seconds >= step[0]) unit = step;
  return `${plural(Math.floor(seconds / unit[0]), unit[1])} ago`;
}

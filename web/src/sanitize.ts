// HTML from users (task data shown by HyperText tags, project instructions) passes through
// DOMPurify before the app or the editor renders it.
import DOMPurify from "dompurify";
import { cleanHtml } from "./labeling";
import { htmlKeys } from "./lib";

/** A cleaner of task data for a config: the values its HyperText tags show are sanitized. */
export function taskDataSanitizer(config: string): (data: Record<string, unknown>) => Record<string, unknown> {
  const keys = htmlKeys(config);
  return (data) => cleanHtml(data, keys, (html) => DOMPurify.sanitize(html));
}

/** Instructions as HTML without scripts, styles or form controls (which could fake the page). */
export function cleanInstructions(html: string): string {
  return DOMPurify.sanitize(html, { FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select"] });
}

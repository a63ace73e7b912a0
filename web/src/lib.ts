// Pure helpers of the web app (unit-tested in lib.test.ts).

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

/** A labeling setup to start a project from. */
export interface Template {
  id: string;
  title: string;
  group: string;
  config: string;
}

/** The labeling templates offered when creating a project. */
export const TEMPLATES: Template[] = [
  {
    id: "text-classification",
    title: "Text classification",
    group: "Natural language",
    config: `<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
</View>`,
  },
  {
    id: "ner",
    title: "Named entity recognition",
    group: "Natural language",
    config: `<View>
  <Labels name="label" toName="text">
    <Label value="Person" background="#f5a623"/>
    <Label value="Organization" background="#4a90e2"/>
    <Label value="Location" background="#7ed321"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>`,
  },
  {
    id: "image-classification",
    title: "Image classification",
    group: "Computer vision",
    config: `<View>
  <Image name="image" value="$image"/>
  <Choices name="choice" toName="image">
    <Choice value="Cat"/>
    <Choice value="Dog"/>
  </Choices>
</View>`,
  },
  {
    id: "object-detection",
    title: "Object detection with boxes",
    group: "Computer vision",
    config: `<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car" background="#d0021b"/>
    <Label value="Person" background="#4a90e2"/>
  </RectangleLabels>
</View>`,
  },
  {
    id: "audio-transcription",
    title: "Audio transcription",
    group: "Audio",
    config: `<View>
  <Audio name="audio" value="$audio"/>
  <TextArea name="transcription" toName="audio" rows="4" editable="true"/>
</View>`,
  },
];

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

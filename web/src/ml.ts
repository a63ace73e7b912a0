// ML backends as the Model settings page shows and edits them: the form's values and the body
// they make, and a backend's state in words.

/** A backend as `/api/ml/` answers it. */
export interface MlBackend {
  id: number;
  state: "CO" | "DI" | "ER" | "TR" | "PR";
  readable_state: string;
  is_interactive: boolean;
  url: string;
  error_message: string | null;
  title: string;
  auth_method: "NONE" | "BASIC_AUTH";
  basic_auth_user: string;
  basic_auth_pass_is_set: boolean;
  description: string;
  extra_params: unknown;
  model_version: string;
  project: number;
}

/** What the backend form holds. */
export interface MlForm {
  url: string;
  title: string;
  description: string;
  interactive: boolean;
  basicAuth: boolean;
  user: string;
  /** A new password; empty keeps the stored one. */
  password: string;
  /** Extra parameters for the model server, as text (sent as Label Studio's form sends them). */
  extraParams: string;
}

/** The form of a new backend, or of `backend` being edited. */
export function mlFormOf(backend?: MlBackend): MlForm {
  const extra = backend?.extra_params;
  return {
    url: backend?.url ?? "",
    title: backend?.title ?? "",
    description: backend?.description ?? "",
    interactive: backend?.is_interactive ?? false,
    basicAuth: backend?.auth_method === "BASIC_AUTH",
    user: backend?.basic_auth_user ?? "",
    password: "",
    extraParams: extra === null || extra === undefined ? "" : typeof extra === "string" ? extra : JSON.stringify(extra),
  };
}

/** The body that saves `form` for `project`. */
export function mlBody(project: number, form: MlForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    project,
    url: form.url.trim(),
    title: form.title.trim() || "default",
    description: form.description,
    is_interactive: form.interactive,
    auth_method: form.basicAuth ? "BASIC_AUTH" : "NONE",
    extra_params: form.extraParams.trim() ? form.extraParams : null,
  };
  if (form.basicAuth) {
    body.basic_auth_user = form.user;
    body.basic_auth_pass = form.password;
  }
  return body;
}

/** A backend's state in words, with its error when it has one. */
export function mlState(backend: MlBackend): string {
  const problem = backend.state === "ER" || backend.state === "DI" ? backend.error_message : null;
  return problem ? `${backend.readable_state}: ${problem}` : backend.readable_state;
}

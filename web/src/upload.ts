// Sending tasks to a project: files with upload progress (XMLHttpRequest reports it, fetch does
// not) and URL lists as JSON tasks.
import { api, ApiError, failure, readBody } from "./api";

/** What an import answers. */
export interface ImportResult {
  task_count: number;
  annotation_count: number;
  prediction_count: number;
}

/** What an upload kept aside for a later `reimport` answers: its files and their columns. */
export interface UploadResult extends ImportResult {
  file_upload_ids: number[];
  data_columns: string[];
}

/**
 * Uploads files into a project's import; `onProgress` gets the fraction sent (0–1). With
 * `keepAside`, the files are stored and their columns read, but no task is made until
 * [`reimport`] (the wizard uploads on selection, before the config is final).
 */
export function uploadFiles(projectId: number, files: File[], onProgress: (fraction: number) => void, keepAside = false): Promise<UploadResult> {
  const form = new FormData();
  files.forEach((file) => form.append(file.name, file));
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/projects/${projectId}/import${keepAside ? "?commit_to_project=false" : ""}`);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      const body = readBody(xhr.responseText, xhr.getResponseHeader("Content-Type"));
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as UploadResult);
      else reject(failure(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, { detail: "The upload was interrupted (network error)." }));
    xhr.send(form);
  });
}

/** Imports one task per URL, the URL stored under the config's data key. */
export function importUrls(projectId: number, key: string, urls: string[]): Promise<ImportResult> {
  const tasks = urls.map((url) => ({ [key]: url }));
  return api<ImportResult>(`/api/projects/${projectId}/import`, { method: "POST", body: JSON.stringify(tasks) });
}

/** Makes the tasks of files uploaded aside (replacing tasks those files made before). */
export function reimport(projectId: number, fileUploadIds: number[]): Promise<ImportResult> {
  return api<ImportResult>(`/api/projects/${projectId}/reimport`, { method: "POST", body: JSON.stringify({ file_upload_ids: fileUploadIds }) });
}

import { useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { api, ApiError, request } from "../api";
import { formatBytes } from "../lib";
import { Dialog } from "./Dialog";
import { Snapshots } from "./Snapshots";

/** An export format as `/export/formats` lists it. */
interface Format {
  name: string;
  title: string;
  description: string;
  disabled?: boolean;
}

/** The file name a response offers (`Content-Disposition`), or a fallback. */
function fileName(response: Response, fallback: string): string {
  const match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") ?? "");
  return match?.[1] ?? fallback;
}

/**
 * Choosing an export format and downloading the export. The file is streamed; the dialog counts
 * the bytes received so that big exports show progress, and the download can be cancelled.
 */
export function ExportDialog({ projectId, onClose }: { projectId: number; onClose(): void }) {
  const formats = useQuery({ queryKey: ["export-formats", projectId], queryFn: () => api<Format[]>(`/api/projects/${projectId}/export/formats`) });
  const [format, setFormat] = useState("JSON");
  const [allTasks, setAllTasks] = useState(false);
  const [received, setReceived] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  const download = async () => {
    setError(null);
    setReceived(0);
    abort.current = new AbortController();
    try {
      const url = `/api/projects/${projectId}/export?exportType=${encodeURIComponent(format)}&download_all_tasks=${allTasks}`;
      const response = await request(url, { signal: abort.current.signal });
      if (!response.body) throw new ApiError(response.status, { detail: "The export answered no file." });
      // Chunks are gathered into Blobs of ~16 MB as they arrive: the browser keeps Blob data out
      // of the page's memory (on disk when large), so a big export does not fill the tab.
      const reader = response.body.getReader();
      const blobs: Blob[] = [];
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        pending.push(value);
        pendingBytes += value.length;
        bytes += value.length;
        setReceived(bytes);
        if (pendingBytes >= 16 << 20) {
          blobs.push(new Blob(pending as BlobPart[]));
          pending = [];
          pendingBytes = 0;
        }
      }
      blobs.push(new Blob(pending as BlobPart[]));
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob(blobs, { type: response.headers.get("Content-Type") ?? "application/octet-stream" }));
      link.download = fileName(response, `project-${projectId}.${format.toLowerCase()}`);
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      onClose();
    } catch (e) {
      if ((e as Error).name !== "AbortError") setError((e as Error).message);
      setReceived(null);
    }
  };

  const busy = received !== null;
  return (
    <Dialog title="Export data" onClose={busy ? () => abort.current?.abort() : onClose} wide>
      {formats.isPending ? (
        <p className="muted" role="status">Loading formats…</p>
      ) : formats.isError ? (
        <p className="error" role="alert">{formats.error.message}</p>
      ) : (
        <fieldset className="formats" disabled={busy}>
          <legend>Format</legend>
          {formats.data.map((f) => (
            <label key={f.name} className={f.disabled ? "format disabled" : f.name === format ? "format chosen" : "format"}>
              <input type="radio" name="format" value={f.name} checked={f.name === format} disabled={f.disabled} onChange={() => setFormat(f.name)} />
              <span>
                <strong>{f.title}</strong>
                <span className="muted">{f.description}{f.disabled ? " (not available for this project's labeling setup)" : ""}</span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
      <label className="check">
        <input type="checkbox" checked={allTasks} onChange={(e) => setAllTasks(e.target.checked)} disabled={busy} />
        Include tasks without annotations
      </label>
      <Snapshots projectId={projectId} format={format} onlyAnnotated={!allTasks} />
      {busy && <p role="status" className="muted" data-testid="export-progress">Downloading… {formatBytes(received)}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <div className="actions">
        <button onClick={busy ? () => abort.current?.abort() : onClose}>{busy ? "Cancel" : "Close"}</button>
        <button className="primary" onClick={download} disabled={busy || !formats.data}>Export</button>
      </div>
    </Dialog>
  );
}

import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { refreshProject } from "../api";
import { parseUrlList, plural } from "../lib";
import { importUrls, uploadFiles, type ImportResult } from "../upload";
import { Dialog } from "./Dialog";
import { ImportPicker } from "./ImportPicker";

/** Progress of an import in flight: the fraction of bytes sent, then "processing". */
export type ImportState =
  | { phase: "idle" }
  | { phase: "sending"; fraction: number }
  | { phase: "processing" }
  | { phase: "done"; result: ImportResult }
  | { phase: "failed"; message: string };

/** Sends files and URLs to a project, tracking progress and refreshing what shows counts. */
export function useImporter() {
  const queries = useQueryClient();
  const [state, setState] = useState<ImportState>({ phase: "idle" });
  const run = useCallback(
    async (projectId: number, files: File[], urlText: string, dataKey: string | undefined): Promise<boolean> => {
      const { urls } = parseUrlList(urlText);
      const totals: ImportResult = { task_count: 0, annotation_count: 0, prediction_count: 0 };
      const add = (r: ImportResult) => {
        totals.task_count += r.task_count;
        totals.annotation_count += r.annotation_count;
        totals.prediction_count += r.prediction_count;
      };
      try {
        if (files.length) {
          setState({ phase: "sending", fraction: 0 });
          add(await uploadFiles(projectId, files, (fraction) => setState(fraction < 1 ? { phase: "sending", fraction } : { phase: "processing" })));
        }
        if (urls.length) {
          if (!dataKey) throw new Error("The labeling config reads no data key, so URLs have nowhere to go.");
          setState({ phase: "processing" });
          add(await importUrls(projectId, dataKey, urls));
        }
        setState({ phase: "done", result: totals });
        return true;
      } catch (e) {
        setState({ phase: "failed", message: (e as Error).message });
        return false;
      } finally {
        refreshProject(queries, projectId);
      }
    },
    [queries],
  );
  return { state, run };
}

/** The state of an import, for people: a progress bar, the outcome or the error. */
export function ImportStatus({ state }: { state: ImportState }) {
  switch (state.phase) {
    case "idle":
      return null;
    case "sending":
      return (
        <div role="status" className="upload-progress">
          <progress max={1} value={state.fraction} aria-label="Upload progress" /> Uploading… {Math.round(state.fraction * 100)}%
        </div>
      );
    case "processing":
      return <p role="status" className="muted">Importing tasks…</p>;
    case "done":
      return <p role="status" className="notice" data-testid="import-result">Imported {plural(state.result.task_count, "task")}{state.result.annotation_count ? `, ${plural(state.result.annotation_count, "annotation")}` : ""}{state.result.prediction_count ? `, ${plural(state.result.prediction_count, "prediction")}` : ""}.</p>;
    case "failed":
      return <p role="alert" className="error">{state.message}</p>;
  }
}

/** The Data Manager's import dialog: pick files or URLs, send them, see the outcome. */
export function ImportDialog({ projectId, dataKey, onClose }: { projectId: number; dataKey: string | undefined; onClose(): void }) {
  const [files, setFiles] = useState<File[]>([]);
  const [urls, setUrls] = useState("");
  const importer = useImporter();
  const busy = importer.state.phase === "sending" || importer.state.phase === "processing";
  const send = async () => {
    if (await importer.run(projectId, files, urls, dataKey)) {
      setFiles([]);
      setUrls("");
    }
  };
  return (
    <Dialog title="Import data" onClose={busy ? () => undefined : onClose} wide>
      <ImportPicker files={files} onFiles={setFiles} urls={urls} onUrls={setUrls} disabled={busy} />
      <ImportStatus state={importer.state} />
      <div className="actions">
        <button onClick={onClose} disabled={busy}>Close</button>
        <button className="primary" onClick={send} disabled={busy || (!files.length && !parseUrlList(urls).urls.length)}>Import</button>
      </div>
    </Dialog>
  );
}

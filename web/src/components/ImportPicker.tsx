import { useState, type DragEvent } from "react";
import { formatBytes, parseUrlList } from "../lib";

/** File types the import takes: task files and media (one task per media file). */
export const IMPORT_ACCEPT = ".json,.jsonl,.csv,.tsv,.txt,image/*,audio/*,video/*,.html,.htm";

/**
 * Where people give data: files dropped or chosen, and a list of URLs (one task each). The parent
 * decides when to send them (at once, or after the project exists).
 */
export function ImportPicker({ files, onFiles, urls, onUrls, disabled }: {
  files: File[];
  onFiles(files: File[]): void;
  urls: string;
  onUrls(text: string): void;
  disabled?: boolean;
}) {
  const [over, setOver] = useState(false);
  const { rejected } = parseUrlList(urls);
  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (!disabled) onFiles([...files, ...Array.from(e.dataTransfer.files)]);
  };
  return (
    <div className="import-picker">
      <div
        className={over ? "dropzone over" : "dropzone"}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
        data-testid="dropzone"
      >
        <p><strong>Drop files here</strong> or</p>
        <label className="button">
          Choose files
          <input
            type="file"
            multiple
            className="visually-hidden"
            accept={IMPORT_ACCEPT}
            disabled={disabled}
            onChange={(e) => {
              // Copied before the input is cleared, so that the same file can be chosen again.
              const chosen = Array.from(e.target.files ?? []);
              e.target.value = "";
              onFiles([...files, ...chosen]);
            }}
          />
        </label>
        <p className="muted">JSON, JSONL, CSV, TSV, TXT, or images, audio, video and HTML files (one task per file).</p>
      </div>
      {files.length > 0 && (
        <ul className="file-list" aria-label="Files to import">
          {files.map((file, i) => (
            <li key={`${file.name}-${i}`}>
              <span>{file.name}</span>
              <span className="muted">{formatBytes(file.size)}</span>
              <button type="button" className="subtle" aria-label={`Remove ${file.name}`} disabled={disabled} onClick={() => onFiles(files.filter((_, j) => j !== i))}>×</button>
            </li>
          ))}
        </ul>
      )}
      <label className="stacked">
        Or a list of URLs, one per line (each becomes a task)
        <textarea rows={3} value={urls} onChange={(e) => onUrls(e.target.value)} disabled={disabled} placeholder="https://example.com/images/1.jpg" aria-invalid={rejected.length > 0} />
        {rejected.length > 0 && <span className="field-error">Not an http(s) URL: {rejected.slice(0, 3).join(", ")}{rejected.length > 3 ? "…" : ""}</span>}
      </label>
    </div>
  );
}

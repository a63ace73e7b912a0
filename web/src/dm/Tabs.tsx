import { useState } from "react";
import type { View } from "./query";

/** The Data Manager's tabs (saved views): pick, add, rename (double-click), close. */
export function Tabs({ views, current, onPick, onAdd, onRename, onClose }: {
  views: View[];
  current: number;
  onPick(id: number): void;
  onAdd(): void;
  onRename(view: View, title: string): void;
  onClose(view: View): void;
}) {
  const [editing, setEditing] = useState<number | null>(null);
  return (
    <div className="dm-tabs" role="tablist" aria-label="Tabs">
      {views.map((view) => (
        <div key={view.id} className={view.id === current ? "dm-tab chosen" : "dm-tab"}>
          {editing === view.id ? (
            <input
              autoFocus
              aria-label="Tab name"
              defaultValue={view.data.title}
              onBlur={(e) => {
                setEditing(null);
                const title = e.target.value.trim();
                if (title && title !== view.data.title) onRename(view, title);
              }}
              onKeyDown={(e) => {
                if (e.key === "Enter") (e.target as HTMLInputElement).blur();
                if (e.key === "Escape") setEditing(null);
              }}
            />
          ) : (
            <button role="tab" aria-selected={view.id === current} onClick={() => onPick(view.id)} onDoubleClick={() => setEditing(view.id)} title="Double-click to rename">
              {view.data.title || "Untitled"}
            </button>
          )}
          {views.length > 1 && (
            <button className="subtle close" aria-label={`Close tab ${view.data.title}`} onClick={() => onClose(view)}>×</button>
          )}
        </div>
      ))}
      <button className="subtle" aria-label="Add tab" onClick={onAdd}>+</button>
    </div>
  );
}

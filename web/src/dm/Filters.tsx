import { useEffect, useRef, useState } from "react";
import type { Me } from "../api";
import { columnKey, defaultValue, filterType, isComplete, leafColumns, newFilter, operatorsFor, type Column, type FilterItem, type ViewData } from "./query";

type Filters = NonNullable<ViewData["filters"]>;

/**
 * The filter editor of a tab: rows of column, operator and value, AND-ed or OR-ed. Changes are
 * saved to the tab (and so applied) shortly after typing stops; rows without a value wait.
 */
export function FilterPanel({ columns, filters, users, onChange }: {
  columns: Column[];
  filters: Filters;
  users: Me[];
  onChange(filters: Filters): void;
}) {
  const [draft, setDraft] = useState<Filters>(filters);
  const saved = useRef(JSON.stringify(filters));
  const filterable = leafColumns(columns).filter((c) => c.id !== "agreement");
  useEffect(() => {
    const applied = { conjunction: draft.conjunction, items: draft.items.filter(isComplete) };
    const text = JSON.stringify(applied);
    if (text === saved.current) return;
    const timer = setTimeout(() => {
      saved.current = text;
      onChange(applied);
    }, 400);
    return () => clearTimeout(timer);
  }, [draft, onChange]);

  const setItem = (index: number, item: FilterItem) => setDraft({ ...draft, items: draft.items.map((it, i) => (i === index ? item : it)) });
  return (
    <div className="filters" role="group" aria-label="Filters">
      {draft.items.length === 0 && <p className="muted">No filters: every task shows.</p>}
      {draft.items.map((item, index) => {
        const column = filterable.find((c) => `filter:${columnKey(c)}` === item.filter);
        return (
          <div className="filter-row" key={index}>
            {index === 0 ? (
              <span className="conj">Where</span>
            ) : index === 1 ? (
              <select aria-label="Match" value={draft.conjunction} onChange={(e) => setDraft({ ...draft, conjunction: e.target.value as "and" | "or" })}>
                <option value="and">and</option>
                <option value="or">or</option>
              </select>
            ) : (
              <span className="conj">{draft.conjunction}</span>
            )}
            <select
              aria-label="Column"
              value={item.filter}
              onChange={(e) => {
                const next = filterable.find((c) => `filter:${columnKey(c)}` === e.target.value);
                if (next) setItem(index, newFilter(next));
              }}
            >
              {!column && <option value={item.filter}>{item.filter.replace("filter:tasks:", "")}</option>}
              {filterable.map((c) => (
                <option key={columnKey(c)} value={`filter:${columnKey(c)}`}>{c.parent ? `${c.title} (data)` : c.title}</option>
              ))}
            </select>
            <select aria-label="Operator" value={item.operator} onChange={(e) => setItem(index, { ...item, operator: e.target.value, value: defaultValue(item.type, e.target.value) })}>
              {operatorsFor(item.type).map((op) => <option key={op.id} value={op.id}>{op.title}</option>)}
            </select>
            <FilterValue item={item} users={users} onChange={(value) => setItem(index, { ...item, value })} />
            <button className="subtle" aria-label="Remove filter" onClick={() => setDraft({ ...draft, items: draft.items.filter((_, i) => i !== index) })}>×</button>
          </div>
        );
      })}
      <button
        onClick={() => {
          const first = filterable.find((c) => c.parent) ?? filterable[0];
          if (first) setDraft({ ...draft, items: [...draft.items, newFilter(first)] });
        }}
      >
        + Add filter
      </button>
    </div>
  );
}

/** The value input that fits a filter's type and operator. */
function FilterValue({ item, users, onChange }: { item: FilterItem; users: Me[]; onChange(value: unknown): void }) {
  const type = filterType(item.type);
  if (item.operator === "empty" || type === "Boolean") {
    return (
      <select aria-label="Value" value={String(item.value)} onChange={(e) => onChange(e.target.value === "true")}>
        <option value="true">{item.operator === "empty" ? "yes" : "true"}</option>
        <option value="false">{item.operator === "empty" ? "no" : "false"}</option>
      </select>
    );
  }
  if (type === "List") {
    return (
      <select aria-label="Value" value={item.value === null ? "" : String(item.value)} onChange={(e) => onChange(e.target.value ? Number(e.target.value) : null)}>
        <option value="">Choose a person</option>
        {users.map((u) => <option key={u.id} value={u.id}>{u.email}</option>)}
      </select>
    );
  }
  if (item.operator === "in" || item.operator === "not_in") {
    const range = (item.value ?? { min: null, max: null }) as { min: unknown; max: unknown };
    return (
      <span className="range">
        <ScalarInput type={type} label="From" value={range.min} onChange={(min) => onChange({ ...range, min })} />
        <ScalarInput type={type} label="To" value={range.max} onChange={(max) => onChange({ ...range, max })} />
      </span>
    );
  }
  return <ScalarInput type={type} label="Value" value={item.value} onChange={onChange} />;
}

/** One number, date or text input; dates travel as ISO timestamps. */
function ScalarInput({ type, label, value, onChange }: { type: string; label: string; value: unknown; onChange(value: unknown): void }) {
  if (type === "Number" || type === "Time") {
    return <input type="number" aria-label={label} value={value === null ? "" : String(value)} onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))} />;
  }
  if (type === "Datetime") {
    const local = typeof value === "string" && value ? toLocalInput(value) : "";
    return <input type="datetime-local" aria-label={label} value={local} onChange={(e) => onChange(e.target.value ? new Date(e.target.value).toISOString() : null)} />;
  }
  return <input type="text" aria-label={label} value={value === null ? "" : String(value)} onChange={(e) => onChange(e.target.value)} placeholder="Value" />;
}

/** An ISO timestamp as a `datetime-local` input value in the browser's time zone. */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

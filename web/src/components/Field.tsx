import type { ReactNode } from "react";

/** A labelled input with its server error below. */
export function Field({ label, error, children, hint }: { label: string; error?: string[]; children: ReactNode; hint?: string }) {
  return (
    <label className="stacked">
      {label}
      {children}
      {hint && <span className="muted hint">{hint}</span>}
      {error && <span className="field-error">{error.join(" ")}</span>}
    </label>
  );
}

// The color theme: light, dark, or the system's, remembered in this browser.

/** A theme choice; `system` follows the operating system's setting. */
export type Theme = "system" | "light" | "dark";

const KEY = "tessera-theme";

/** The remembered choice. */
export function savedTheme(): Theme {
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : "system";
}

/** Applies `theme` to the page (and remembers it). */
export function applyTheme(theme: Theme, remember = true): void {
  const dark = theme === "dark" || (theme === "system" && window.matchMedia?.("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  if (remember) {
    if (theme === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  }
}

// Custom hotkeys: the account's `custom_hotkeys` (Label Studio's shape, `{"annotation:submit":
// {"key": "ctrl+s", "active": true}}`) and the editor's keymap they become.

/** The editor actions a user may rebind, with their default keys. */
export const HOTKEY_ACTIONS: { id: string; title: string; key: string }[] = [
  { id: "annotation:submit", title: "Submit or update the annotation", key: "ctrl+enter" },
  { id: "annotation:skip", title: "Skip the task", key: "ctrl+space" },
  { id: "annotation:undo", title: "Undo", key: "ctrl+z" },
  { id: "annotation:redo", title: "Redo", key: "ctrl+shift+z" },
  { id: "region:delete", title: "Delete the selected region", key: "backspace" },
  { id: "region:unselect", title: "Unselect the region", key: "u" },
  { id: "region:visibility", title: "Hide or show the selected region", key: "h" },
  { id: "region:relation", title: "Start a relation from the region", key: "alt+r" },
];

/** A stored custom hotkey. */
export interface CustomHotkey {
  key: string;
  active?: boolean;
}

/** The editor's keymap for the user's active custom hotkeys (the editor takes `key`, `mac` and
 * `description` only; one key serves every platform). */
export function keymapOf(custom: Record<string, CustomHotkey> | undefined): Record<string, { key: string; mac: string; description: string }> {
  const keymap: Record<string, { key: string; mac: string; description: string }> = {};
  for (const action of HOTKEY_ACTIONS) {
    const chosen = custom?.[action.id];
    if (chosen && chosen.active !== false && chosen.key.trim()) {
      const key = chosen.key.trim().toLowerCase();
      keymap[action.id] = { key, mac: key, description: action.title };
    }
  }
  return keymap;
}

/** Whether `key` reads as a key combination the editor understands (`ctrl+shift+s`, `f2`, `u`). */
export function isKeyCombination(key: string): boolean {
  return /^((ctrl|shift|alt|command|option|meta)\+)*([a-z0-9]|f[1-9][0-2]?|space|enter|backspace|delete|tab|escape|up|down|left|right|[,./;'[\]\\`=-])$/i.test(key.trim());
}

// Which rows a scroll position shows, for a table as tall as all its rows. Browsers cap an
// element's height (about 33 million pixels in Chromium), so past `MAX_SPACE` the scroll range
// maps to rows by proportion: the scrollbar's ends are the first and the last row, a drag
// anywhere lands on the row at that fraction.

/** The most scroll space the table takes, in pixels. */
export const MAX_SPACE = 8_000_000;

/** The rows in view and how to get to a row. */
export interface RowWindow {
  /** The first row (partly) in view. */
  first: number;
  /** How far the first row is scrolled out of view, in pixels. */
  offset: number;
  /** How many rows the viewport holds. */
  visible: number;
  /** The table's scroll space, in pixels. */
  space: number;
  /** The scroll position that puts `row` at the top. */
  scrollTopFor(row: number): number;
}

/** The window of rows for a scroll position. */
export function rowWindow({ total, rowHeight, scrollTop, viewportHeight }: { total: number; rowHeight: number; scrollTop: number; viewportHeight: number }): RowWindow {
  const visible = Math.max(1, Math.ceil(viewportHeight / rowHeight));
  const natural = total * rowHeight;
  const space = Math.min(natural, MAX_SPACE);
  // Rows above the last screenful, and the scroll range they spread over.
  const lastTop = Math.max(0, total - visible + 1);
  const range = Math.max(1, space + rowHeight - viewportHeight);
  const exact = natural <= MAX_SPACE ? scrollTop / rowHeight : (Math.min(Math.max(scrollTop, 0), range) / range) * lastTop;
  const first = Math.max(0, Math.min(Math.floor(exact), Math.max(0, total - 1)));
  return {
    first,
    offset: (exact - Math.floor(exact)) * rowHeight,
    visible,
    space,
    scrollTopFor: (row) => (natural <= MAX_SPACE ? row * rowHeight : (Math.min(row, lastTop) / Math.max(1, lastTop)) * range),
  };
}

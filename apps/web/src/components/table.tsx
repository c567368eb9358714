import type { ComponentChildren } from 'preact';

/** A table's column headings; with `actions`, a last column for row buttons, named for screen readers. */
export function ColumnHeads({ columns, actions = false }: { columns: string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <th key={column} scope="col">
            {column}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}

/**
 * Newer and Older buttons over pages the API opens with cursors: `cursors[i]` opens page i (page 0 has
 * none), and `nextCursor` opens the page after the last. `children` come first (a note on the data).
 */
export function CursorPager({
  label,
  cursors,
  setCursors,
  nextCursor,
  children,
}: {
  label: string;
  cursors: (string | undefined)[];
  setCursors: (cursors: (string | undefined)[]) => void;
  nextCursor: string | null | undefined;
  children?: ComponentChildren;
}) {
  const pageIndex = cursors.length - 1;
  return (
    <nav class="pager" aria-label={label}>
      {children}
      <button
        type="button"
        class="button"
        disabled={pageIndex === 0}
        onClick={() => setCursors(cursors.slice(0, -1))}
      >
        Newer
      </button>
      <span class="muted">Page {pageIndex + 1}</span>
      <button
        type="button"
        class="button"
        disabled={!nextCursor}
        onClick={() => nextCursor && setCursors([...cursors, nextCursor])}
      >
        Older
      </button>
    </nav>
  );
}

/** A small button in a row of a list or table: `label`, then, for screen readers, which row's it is (`of`). */
export function RowButton({
  label,
  of,
  danger = false,
  expanded,
  onClick,
}: {
  label: string;
  of: string;
  danger?: boolean;
  /** For a button that shows or hides something: whether it is shown. */
  expanded?: boolean;
  onClick: () => void;
}) {
  return (
    <button
      type="button"
      class={danger ? 'button small danger' : 'button small'}
      aria-expanded={expanded}
      onClick={onClick}
    >
      {label}
      <span class="visually-hidden"> {of}</span>
    </button>
  );
}

import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api.js';
import { followLink } from '../router.js';

/** The page's h1, which receives focus after navigation so screen readers start at the new page. */
export function PageHeading({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-heading">
      <h1 tabIndex={-1}>{title}</h1>
      {children && <div class="actions">{children}</div>}
    </div>
  );
}

/** A failed load; with `stale`, the data on screen is from the last successful refresh. */
export function ErrorNote({ error, stale = false }: { error: Error; stale?: boolean }) {
  return (
    <p class="error-note" role="alert">
      {error.message}
      {stale && ' Showing the last data received; retrying.'}
    </p>
  );
}

export function isNotFound(error: Error | undefined): boolean {
  return (error as ApiError | undefined)?.status === 404;
}

/** A page whose record did not load: "<thing> not found" on a 404, the error, and a way back. */
export function LoadFailed({
  error,
  title,
  notFound,
  back,
}: {
  error: Error;
  title: string;
  notFound: string;
  back: { href: string; label: string };
}) {
  return (
    <>
      <PageHeading title={isNotFound(error) ? notFound : title} />
      <ErrorNote error={error} />
      <a href={back.href} onClick={followLink}>
        {back.label}
      </a>
    </>
  );
}

/**
 * A secret (a key, a token, a command holding one) shown whole this once, after `what` and a warning to
 * copy it; `command` sets it as a command line.
 */
export function ShownOnce({
  what,
  command = false,
  card = false,
  children,
}: {
  what: string;
  command?: boolean;
  card?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div role="status" class={card ? 'card' : undefined}>
      <p>{what} (copy it now: it is not shown again):</p>
      <pre class={command ? 'new-key command' : 'new-key'}>{children}</pre>
    </div>
  );
}

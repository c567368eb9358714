import { api } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { ConfirmDeleteButton } from '../components/confirm-dialog.js';
import { ErrorNote, PageHeading } from '../components/layout.js';
import { usePolling } from '../hooks.js';
import { followLink } from '../router.js';
import type { StatusPage } from '../types.js';

/** Where visitors read a page: served by the API, outside the dashboard (a full page load). */
export const publicHref = (page: Pick<StatusPage, 'slug'>) => `/status/${encodeURIComponent(page.slug)}`;

/** The user's public status pages, with links to them. */
export function StatusPagesPage() {
  useTitle('Status pages');
  const list = usePolling((signal) => api.statusPages(signal), 30_000, 'status pages');
  const pages = list.data?.statusPages;
  return (
    <>
      <PageHeading title="Status pages">
        <a class="button primary" href="/status-pages/new" onClick={followLink}>
          New status page
        </a>
      </PageHeading>
      <p class="muted page-intro">
        A status page shows your customers the monitors you choose, under the names you give them, with their
        uptime, incidents and maintenance. Visitors need no login; URLs and settings stay private.
      </p>
      {list.error && <ErrorNote error={list.error} stale={pages !== undefined} />}
      {!pages && !list.error && <p class="muted">Loading…</p>}
      {pages &&
        (pages.length === 0 ? (
          <div class="empty">
            <p>No status page yet.</p>
            <a class="button primary" href="/status-pages/new" onClick={followLink}>
              Create one
            </a>
          </div>
        ) : (
          <ul class="windows" aria-label="Status pages">
            {pages.map((page) => (
              <StatusPageCard key={page.id} page={page} onDeleted={list.reload} />
            ))}
          </ul>
        ))}
    </>
  );
}

function StatusPageCard({ page, onDeleted }: { page: StatusPage; onDeleted: () => void }) {
  const monitors = page.sections.reduce((n, s) => n + s.monitors.length, 0);
  return (
    <li class="card window" data-status-page-id={page.id}>
      <div class="window-head">
        <h2 class="window-name">{page.title}</h2>
        <span class="muted window-state">{page.published ? 'Published' : 'Unpublished'}</span>
      </div>
      <p>
        {page.published ? (
          <a href={publicHref(page)}>{publicHref(page)}</a>
        ) : (
          <span class="muted">{publicHref(page)} (answers 404 until published)</span>
        )}
        {page.customDomain && <span class="muted"> · also at {page.customDomain}</span>}
      </p>
      <p class="muted">
        {page.sections.length} {page.sections.length === 1 ? 'section' : 'sections'}, {monitors}{' '}
        {monitors === 1 ? 'monitor' : 'monitors'}
      </p>
      <div class="actions">
        <a
          class="button small"
          href={`/status-pages/${encodeURIComponent(page.id)}/edit`}
          onClick={followLink}
        >
          Edit<span class="visually-hidden"> {page.title}</span>
        </a>
        <DeleteStatusPageButton page={page} onDeleted={onDeleted} />
      </div>
    </li>
  );
}

/** Deleting asks first. */
function DeleteStatusPageButton({ page, onDeleted }: { page: StatusPage; onDeleted: () => void }) {
  const remove = async () => {
    await api.deleteStatusPage(page.id);
    announce(`Status page ${page.title} deleted`);
    onDeleted();
  };
  return (
    <ConfirmDeleteButton
      name={page.title}
      id={`delete-status-page-${page.id}`}
      title="Delete this status page?"
      action="Delete status page"
      run={remove}
    >
      {publicHref(page)} will answer 404 to visitors. Your monitors and their history stay.
    </ConfirmDeleteButton>
  );
}

import { escapeXml as escape } from '../badges/svg.js';
import type { PublicStatusPageJson } from '../schemas/status-page.js';

const STATE_TEXT: Record<PublicStatusPageJson['state'], string> = {
  operational: 'All systems operational',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  maintenance: 'Under maintenance',
};

const barColor = (percent: number | null) =>
  percent === null
    ? '#d0d4d9'
    : percent >= 99.9
      ? '#3bb273'
      : percent >= 99
        ? '#a4c639'
        : percent >= 95
          ? '#f0b429'
          : '#e05d44';

/**
 * The status page as a complete HTML document, readable without JavaScript and by crawlers: the same
 * public view as the JSON, every text escaped. No scripts; styles inline, so the page needs no other file.
 */
export function renderStatusPage(page: PublicStatusPageJson): string {
  const when = (iso: string) =>
    `<time datetime="${escape(iso)}">${escape(iso.slice(0, 16).replace('T', ' '))} UTC</time>`;
  const incident = (i: PublicStatusPageJson['incidents']['open'][number]) =>
    `<li><strong>${escape(i.monitor)}</strong>: ${i.status === 'open' ? 'ongoing since' : 'from'} ${when(i.startedAt)}` +
    (i.resolvedAt ? ` to ${when(i.resolvedAt)}` : '') +
    (i.reason ? ` (${escape(i.reason)})` : '') +
    (i.updates.length === 0
      ? ''
      : `<ul>${i.updates.map((u) => `<li>${when(u.at)} <strong>${escape(u.status)}</strong>: ${escape(u.message)}</li>`).join('')}</ul>`) +
    '</li>';
  const sections = page.sections
    .map(
      (s) =>
        `<section><h2>${escape(s.name)}</h2>` +
        s.monitors
          .map(
            (m) =>
              `<div class="monitor"><div class="row"><span class="name">${escape(m.name)}</span>` +
              `<span class="state ${escape(m.state)}">${escape(m.state)}</span></div>` +
              (m.uptimePercent === null
                ? ''
                : `<div class="uptime">${m.uptimePercent}% uptime over 90 days</div>`) +
              (m.bars.length === 0
                ? ''
                : `<div class="bars" role="img" aria-label="daily uptime, last 90 days">` +
                  m.bars
                    .map(
                      (b) =>
                        `<span style="background:${barColor(b.uptimePercent)}" title="${escape(b.date)}: ${b.uptimePercent === null ? 'no data' : `${b.uptimePercent}%`}"></span>`,
                    )
                    .join('') +
                  '</div>') +
              '</div>',
          )
          .join('') +
        '</section>',
    )
    .join('');
  const maintenance = page.maintenance
    .map(
      (w) =>
        `<li><strong>${escape(w.name)}</strong> (${w.monitors.map(escape).join(', ')}): ${when(w.startsAt)} to ${when(w.endsAt)}${w.active ? ' — in progress' : ''}</li>`,
    )
    .join('');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escape(page.title)}</title>` +
    (page.description ? `<meta name="description" content="${escape(page.description)}">` : '') +
    '<style>body{font-family:system-ui,sans-serif;max-width:860px;margin:2rem auto;padding:0 1rem;color:#1f2328}' +
    '.overall{padding:1rem;border-radius:6px;color:#fff;font-weight:600}.operational{background:#3bb273}' +
    '.partial_outage{background:#f0b429}.major_outage{background:#e05d44}.maintenance{background:#2f80ed}' +
    '.monitor{padding:.6rem 0;border-bottom:1px solid #eee}.row{display:flex;justify-content:space-between}' +
    '.state.up{color:#3bb273}.state.down{color:#e05d44}.bars{display:flex;gap:1px;height:28px;margin-top:.3rem}' +
    '.bars span{flex:1;border-radius:1px}.uptime{font-size:.85rem;color:#57606a}</style></head><body>' +
    `<h1>${escape(page.title)}</h1>` +
    (page.description ? `<p>${escape(page.description)}</p>` : '') +
    `<p class="overall ${page.state}">${STATE_TEXT[page.state]}</p>` +
    sections +
    (page.incidents.open.length > 0
      ? `<h2>Ongoing incidents</h2><ul>${page.incidents.open.map(incident).join('')}</ul>`
      : '') +
    (page.incidents.recent.length > 0
      ? `<h2>Past incidents (14 days)</h2><ul>${page.incidents.recent.map(incident).join('')}</ul>`
      : '') +
    (maintenance ? `<h2>Scheduled maintenance</h2><ul>${maintenance}</ul>` : '') +
    `<footer><p>Updated ${when(page.generatedAt)}</p></footer></body></html>`
  );
}

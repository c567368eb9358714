import { useState } from 'preact/hooks';
import { announce } from '../announcer.js';
import type { Monitor } from '../types.js';

const BADGES = [
  { name: 'status', label: 'Status', file: 'status.svg' },
  { name: 'uptime', label: 'Uptime (30 days)', file: 'uptime.svg?window=30d' },
  { name: 'response', label: 'Response time (24 hours)', file: 'response.svg' },
] as const;

/** The public badges of a monitor whose owner made them public: each URL, a copy button and a preview. */
export function BadgesPanel({ monitor }: { monitor: Monitor }) {
  const base = `${location.origin}/api/badges/${encodeURIComponent(monitor.id)}/`;
  return (
    <section class="card badges-panel" aria-labelledby="badges-heading">
      <h2 id="badges-heading">Badges</h2>
      <p class="muted">
        Anyone can load these, e.g. in a README: <code>![status](URL)</code>. Uptime also takes{' '}
        <code>window=24h|7d|30d|90d</code>.
      </p>
      <ul class="badges">
        {BADGES.map((badge) => (
          <BadgeRow key={badge.name} label={badge.label} url={base + badge.file} />
        ))}
      </ul>
    </section>
  );
}

function BadgeRow({ label, url }: { label: string; url: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('yes');
      announce(`${label} badge URL copied`);
    } catch {
      // No clipboard (an insecure origin, a refusal): the URL is on screen to select by hand.
      setCopied('failed');
    }
  };
  return (
    <li class="badge-row">
      <span class="badge-label">{label}</span>
      <img src={url} alt={`${label} badge`} height={20} />
      <code class="badge-url">{url}</code>
      <button type="button" class="button small" onClick={() => void copy()}>
        Copy<span class="visually-hidden"> {label} badge URL</span>
      </button>
      {copied === 'yes' && <span class="muted">Copied</span>}
      {copied === 'failed' && <span class="muted">Copy failed: select the URL instead</span>}
    </li>
  );
}

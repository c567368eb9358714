/**
 * The monitor kinds as the dashboard shows them: one description per kind of its settings fields (label,
 * control, hint, default), from which the form renders and reads every kind, and the monitor page describes
 * it. The API (from the checker's schemas) stays the judge: values go as typed, so a wrong one comes back
 * as a 400 naming its field, shown beside it.
 */

import { formatMs, formatWholePercent } from './format.js';

/** How a field is edited and sent. */
export type FieldControl =
  /** Text sent as is; `optional` sends an empty box as null. */
  | { type: 'text'; optional?: boolean; placeholder?: string; inputMode?: 'url' | 'text' }
  /** A whole number (anything else is sent as typed); `optional` sends an empty box as null. */
  | { type: 'integer'; optional?: boolean }
  | { type: 'select'; options: readonly string[] }
  | { type: 'checkbox' }
  /** Several values, separated by commas, spaces or new lines. */
  | { type: 'list' }
  /** Several lines of text; `optional` sends an empty box as null. */
  | { type: 'textarea'; optional?: boolean }
  /** "Name: value" lines, sent as an object. */
  | { type: 'headers' }
  /** JSON text, sent parsed (or as typed, for the API to refuse by name). */
  | { type: 'json' }
  /** None, basic (username, password) or bearer (token). */
  | { type: 'auth' };

export interface KindField {
  key: string;
  label: string;
  hint?: string;
  control: FieldControl;
  /** The draft's text (or tick) for a new monitor. */
  initial: string | boolean;
  /** Folded under "More settings" until opened (or until the API names it). */
  advanced?: boolean;
}

export interface KindDescription {
  name: string;
  label: string;
  /** One line under the selector. */
  summary: string;
  fields: readonly KindField[];
  /** Checked by workers from regions, with a timeout; false for a push kind, judged from its pushes. */
  probed: boolean;
  /** What the monitor's settings ask, in a few words (the monitor page's line under its name). */
  describe(settings: Record<string, unknown>): string;
}

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SOA', 'CAA'] as const;

const host = (hint: string): KindField => ({
  key: 'host',
  label: 'Host',
  hint,
  control: { type: 'text', placeholder: 'example.com' },
  initial: '',
});

export const KINDS: readonly KindDescription[] = [
  {
    name: 'http',
    label: 'HTTP(S)',
    summary: 'Requests a URL and judges the answer: status, body, timing.',
    probed: true,
    describe: (s) =>
      [
        `${String(s.method)}, expecting ${(s.expectedStatus as string[] | undefined)?.join(', ') ?? '2xx'}`,
        s.keyword != null ? `keyword “${String(s.keyword)}” ${String(s.keywordMode)}` : '',
        s.regex != null ? `body matching /${String(s.regex)}/` : '',
        (s.assertions as unknown[] | undefined)?.length
          ? `${(s.assertions as unknown[]).length} JSON assertions`
          : '',
      ]
        .filter(Boolean)
        .join(', '),
    fields: [
      {
        key: 'url',
        label: 'URL',
        hint: 'The http or https address to check.',
        control: { type: 'text', inputMode: 'url', placeholder: 'https://example.com/health' },
        initial: '',
      },
      { key: 'method', label: 'Method', control: { type: 'select', options: HTTP_METHODS }, initial: 'GET' },
      {
        key: 'expectedStatus',
        label: 'Expected status codes',
        hint: 'Codes, ranges and classes that count as up, e.g. "200-299, 304" or "2xx".',
        control: { type: 'list' },
        initial: '200-299',
      },
      {
        key: 'keyword',
        label: 'Keyword',
        hint: 'Optional text to look for in the response body.',
        control: { type: 'text', optional: true },
        initial: '',
      },
      {
        key: 'keywordMode',
        label: 'Expect that text to be',
        control: { type: 'select', options: ['present', 'absent'] },
        initial: 'present',
      },
      {
        key: 'regex',
        label: 'Body pattern',
        hint: 'Optional regular expression the body must match.',
        control: { type: 'text', optional: true },
        initial: '',
        advanced: true,
      },
      {
        key: 'headers',
        label: 'Request headers',
        hint: 'One "Name: value" per line.',
        control: { type: 'headers' },
        initial: '',
        advanced: true,
      },
      {
        key: 'secretHeaders',
        label: 'Secret headers',
        hint: 'Names of headers whose values are secret: never shown again once saved.',
        control: { type: 'list' },
        initial: '',
        advanced: true,
      },
      {
        key: 'body',
        label: 'Request body',
        hint: 'Optional; sent with Content-Length.',
        control: { type: 'textarea', optional: true },
        initial: '',
        advanced: true,
      },
      { key: 'auth', label: 'Authentication', control: { type: 'auth' }, initial: '', advanced: true },
      {
        key: 'assertions',
        label: 'JSON assertions',
        hint: 'Optional, as JSON: [{"path": "$.status", "op": "equals", "value": "ok"}]. Ops: equals, notEquals, contains, lessThan, greaterThan.',
        control: { type: 'json' },
        initial: '[]',
        advanced: true,
      },
      {
        key: 'degradedAboveMs',
        label: 'Degraded above (milliseconds)',
        hint: 'Optional: a slower answer is up but flagged degraded.',
        control: { type: 'integer', optional: true },
        initial: '',
        advanced: true,
      },
      {
        key: 'maxRedirects',
        label: 'Most redirects followed',
        hint: '0 to 10.',
        control: { type: 'integer' },
        initial: '5',
        advanced: true,
      },
      {
        key: 'caCert',
        label: 'Trusted CA certificate',
        hint: 'Optional PEM, for a server with a private CA.',
        control: { type: 'textarea', optional: true },
        initial: '',
        advanced: true,
      },
      { key: 'followRedirects', label: 'Follow redirects', control: { type: 'checkbox' }, initial: true },
      {
        key: 'ignoreTlsErrors',
        label: 'Ignore TLS errors (self-signed, expired or mismatched certificates)',
        control: { type: 'checkbox' },
        initial: false,
        advanced: true,
      },
    ],
  },
  {
    name: 'tcp',
    label: 'TCP port',
    summary: 'Connects to a port; optionally sends text and expects a reply.',
    probed: true,
    describe: (s) =>
      [
        s.tls ? 'TCP connect with TLS' : 'TCP connect',
        s.send != null ? 'sends text' : '',
        s.expect != null ? `expects “${String(s.expect)}”` : '',
      ]
        .filter(Boolean)
        .join(', '),
    fields: [
      host('The host name or IP address to connect to.'),
      { key: 'port', label: 'Port', hint: '1 to 65535.', control: { type: 'integer' }, initial: '' },
      {
        key: 'send',
        label: 'Send',
        hint: 'Optional text sent once connected.',
        control: { type: 'textarea', optional: true },
        initial: '',
      },
      {
        key: 'expect',
        label: 'Expect in the reply',
        hint: 'Optional text the reply must contain.',
        control: { type: 'text', optional: true },
        initial: '',
      },
      { key: 'tls', label: 'TLS handshake after connecting', control: { type: 'checkbox' }, initial: false },
    ],
  },
  {
    name: 'dns',
    label: 'DNS record',
    summary: 'Queries a name and checks the answers.',
    probed: true,
    describe: (s) => {
      const expected = (s.expected as string[] | undefined) ?? [];
      return [
        `${String(s.recordType)} record`,
        s.resolver != null ? `from ${String(s.resolver)}` : '',
        expected.length > 0
          ? `expecting ${s.match === 'all' ? 'all of' : 'any of'} ${expected.join(', ')}`
          : '',
      ]
        .filter(Boolean)
        .join(', ');
    },
    fields: [
      {
        key: 'hostname',
        label: 'Name to query',
        control: { type: 'text', placeholder: 'example.com' },
        initial: '',
      },
      {
        key: 'recordType',
        label: 'Record type',
        control: { type: 'select', options: RECORD_TYPES },
        initial: 'A',
      },
      {
        key: 'resolver',
        label: 'Resolver',
        hint: 'Optional address:port of the server to ask, e.g. 1.1.1.1:53; empty: the system resolver.',
        control: { type: 'text', optional: true },
        initial: '',
      },
      {
        key: 'expected',
        label: 'Expected values',
        hint: 'Optional: answers that must be there, separated by commas.',
        control: { type: 'list' },
        initial: '',
      },
      {
        key: 'match',
        label: 'Expected values to match',
        control: { type: 'select', options: ['any', 'all'] },
        initial: 'any',
      },
    ],
  },
  {
    name: 'tls',
    label: 'TLS certificate',
    summary: 'Checks a certificate is valid for the host and not about to expire.',
    probed: true,
    describe: (s) => `certificate valid for at least ${String(s.minDaysValid)} more days`,
    fields: [
      host('The host name whose certificate is checked.'),
      { key: 'port', label: 'Port', hint: 'Default 443.', control: { type: 'integer' }, initial: '443' },
      {
        key: 'minDaysValid',
        label: 'Down when it expires within (days)',
        hint: '0 to 365.',
        control: { type: 'integer' },
        initial: '14',
      },
    ],
  },
  {
    name: 'ping',
    label: 'Ping (ICMP)',
    summary: 'Sends echo requests and measures loss and round trips.',
    probed: true,
    describe: (s) =>
      `${String(s.packets)} packets, at most ${formatWholePercent(Number(s.maxLossPercent))} lost`,
    fields: [
      host('The host name or IP address to ping.'),
      { key: 'packets', label: 'Packets', hint: '1 to 10.', control: { type: 'integer' }, initial: '3' },
      {
        key: 'maxLossPercent',
        label: 'Most packets lost (%)',
        hint: 'Down when more are lost. 0 to 99.',
        control: { type: 'integer' },
        initial: '0',
      },
    ],
  },
  {
    name: 'heartbeat',
    label: 'Heartbeat (push)',
    summary:
      'Your cron job or service calls the monitor’s secret URL; it is down when no call came within the interval and grace.',
    probed: false,
    describe: (s) => `a push expected every interval, with ${String(s.graceSeconds)} s of grace`,
    fields: [
      {
        key: 'graceSeconds',
        label: 'Grace (seconds)',
        hint: 'Extra time after each interval before a missing heartbeat counts. 0 to 86400.',
        control: { type: 'integer' },
        initial: '60',
      },
    ],
  },
];

export const kindNamed = (name: string): KindDescription | undefined => KINDS.find((k) => k.name === name);

/** A field's text (or tick) in the form for a stored value. */
export function fieldText(field: KindField, value: unknown): string | boolean {
  const { control } = field;
  if (value === undefined) return field.initial;
  switch (control.type) {
    case 'checkbox':
      return value === true;
    case 'list':
      return Array.isArray(value) ? value.join(', ') : '';
    case 'headers':
      return typeof value === 'object' && value !== null
        ? Object.entries(value as Record<string, string>)
            .map(([name, text]) => `${name}: ${text}`)
            .join('\n')
        : '';
    case 'json':
      return JSON.stringify(value ?? [], null, 0);
    case 'auth':
      return value === null ? '' : JSON.stringify(value);
    default:
      return value === null ? '' : String(value);
  }
}

/** Whole numbers become numbers; anything else is sent as typed, for the API to reject by name. */
export function integer(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** A field's value to send, from its text (or tick); undefined leaves it out (the default applies). */
/** An address typed without a scheme ("example.com/health") is meant as https. */
export function withScheme(url: string): string {
  return url === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`;
}

export function fieldValue(field: KindField, text: string | boolean): unknown {
  const { control } = field;
  if (control.type === 'checkbox') return text === true;
  const value = String(text);
  switch (control.type) {
    case 'integer':
      return value.trim() === '' ? (control.optional ? null : undefined) : integer(value);
    case 'text':
    case 'textarea':
      if (control.type === 'text' && control.inputMode === 'url') return withScheme(value.trim());
      if (control.type === 'text' && !control.optional) return value.trim();
      return value === '' ? (control.optional ? null : undefined) : value;
    case 'select':
      return value;
    case 'list':
      return value
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
    case 'headers':
      return Object.fromEntries(
        value
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => {
            const colon = line.indexOf(':');
            return colon < 0
              ? [line.trim(), '']
              : [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
          }),
      );
    case 'json':
      try {
        return value.trim() === '' ? [] : JSON.parse(value);
      } catch {
        return value;
      }
    case 'auth':
      return value === '' ? null : JSON.parse(value);
  }
}

/** What is particular to a check of its kind, in a few words: answers, loss, certificate, last push. */
export function checkDetail(check: {
  details: Record<string, unknown> | null;
  certExpiresAt?: string | null;
}): string {
  const d = check.details ?? {};
  const parts: string[] = [];
  if (Array.isArray(d.answers))
    parts.push(d.answers.length > 0 ? `answers: ${d.answers.join(', ')}` : 'no answers');
  if (typeof d.lossPercent === 'number') {
    const rtt = d.rttMs as { avg: number } | null;
    parts.push(
      `${formatWholePercent(d.lossPercent)} lost${rtt ? `, ${formatMs(rtt.avg)} average round trip` : ''}`,
    );
  }
  if (d.degraded === true) parts.push('degraded');
  if (typeof d.lastPushAt === 'string' || d.lastPushAt === null) {
    parts.push(d.lastPushAt ? `last push ${new Date(d.lastPushAt).toLocaleString()}` : 'no push yet');
  }
  const certificate = d.certificate as { issuer?: string | null } | undefined;
  if (check.certExpiresAt) {
    parts.push(
      `certificate until ${new Date(check.certExpiresAt).toLocaleDateString()}${
        certificate?.issuer ? ` (${certificate.issuer})` : ''
      }`,
    );
  }
  return parts.join('; ');
}

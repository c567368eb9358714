import { isIP, isIPv4 } from 'node:net';

export const MAX_URL_LENGTH = 2048;

export type UrlCheck = { ok: true; url: URL } | { ok: false; problem: string };

// A DNS label: letters, digits and inner hyphens, 1 to 63 characters (IDNs arrive here as punycode).
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * What a monitor may point at: an absolute http(s) URL with a real host name or IP literal, and nothing
 * a browser would quietly repair or a checker should not send (spaces, credentials). Whether the address
 * is public is the checker's decision, made on the resolved address at connection time.
 */
export function checkMonitorUrl(raw: string): UrlCheck {
  if (/[\s\p{Cc}]/u.test(raw)) return { ok: false, problem: 'must not contain spaces or control characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: 'must be an absolute http or https URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, problem: 'must use http or https' };
  if (url.username !== '' || url.password !== '') {
    return { ok: false, problem: 'must not contain credentials (user:password@)' };
  }
  if (!validHost(url.hostname)) return { ok: false, problem: 'must have a valid host name or IP address' };
  if (url.href.length > MAX_URL_LENGTH) {
    return { ok: false, problem: `must be at most ${MAX_URL_LENGTH} characters once normalised` };
  }
  return { ok: true, url };
}

/** A host as the tcp, tls, dns and ping kinds take it: a DNS name or a bare IP address; else the problem. */
export function hostProblem(host: string): string | null {
  return isIP(host) !== 0 || validHost(host) ? null : 'must be a valid host name or IP address';
}

/** The `refine` of a kind whose settings name a `host`: the settings, or the host's problem. */
export function refineHost<S extends { host: string }>(settings: S): S | { field: 'host'; problem: string } {
  const problem = hostProblem(settings.host);
  return problem ? { field: 'host', problem } : settings;
}

/** host:port as people write it, an IPv6 address in brackets. */
export function hostPortTarget(settings: { host: string; port: number }): string {
  return `${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.port}`;
}

function validHost(hostname: string): boolean {
  if (hostname === '') return false;
  // The URL parser has already validated and normalised IP literals ("[::1]", "0x7f.1" -> "127.0.0.1").
  if (hostname.startsWith('[') || isIPv4(hostname)) return true;
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  // An all-numeric last label would be an (invalid) IPv4 address, not a name.
  if (/^\d+$/.test(labels[labels.length - 1]!)) return false;
  return labels.every((label) => LABEL.test(label));
}

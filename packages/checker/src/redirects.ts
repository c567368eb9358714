/** Target URLs and the redirect chain: which responses are followed, where to, and when to give up. */
import type { Failure } from './errors.js';

/** Redirects followed before the check is Down with reason `redirects`. */
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** A 3xx without a Location (or a 300/304) is an ordinary response, judged against the expected codes. */
export function isFollowableRedirect(statusCode: number, location: string | null | undefined): boolean {
  return REDIRECT_STATUSES.has(statusCode) && typeof location === 'string' && location.length > 0;
}

/** Host and path only: query strings and credentials can hold secrets and do not belong in messages. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Parses an http(s) URL, relative to `base` when given. */
export function parseHttpUrl(text: string, base?: URL): URL | Failure {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    const what = base ? 'redirect Location' : 'URL';
    return { reason: 'protocol', message: `invalid ${what} ${JSON.stringify(text.slice(0, 100))}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const what = base ? 'redirect to' : 'URL scheme';
    return { reason: 'protocol', message: `unsupported ${what} ${url.protocol}` };
  }
  return url;
}

/** The fragment never reaches the server, so it does not make two URLs different. */
function visitKey(url: URL): string {
  return url.href.replace(/#.*$/, '');
}

/** Follows a chain from its first URL, refusing loops and chains longer than {@link MAX_REDIRECTS}. */
export class RedirectChain {
  private readonly visited = new Set<string>();
  private followed = 0;

  constructor(
    private current: URL,
    private readonly maxRedirects = MAX_REDIRECTS,
  ) {
    this.visited.add(visitKey(current));
  }

  /** The next URL to request, or why the chain ends here. */
  follow(location: string): URL | Failure {
    const next = parseHttpUrl(location, this.current);
    if (!(next instanceof URL)) return next;
    if (this.visited.has(visitKey(next))) {
      return { reason: 'redirects', message: `redirect loop: ${displayUrl(next)} was already visited` };
    }
    if (this.followed >= this.maxRedirects) {
      return {
        reason: 'redirects',
        message: `more than ${this.maxRedirects} redirects (next: ${displayUrl(next)})`,
      };
    }
    this.followed += 1;
    this.visited.add(visitKey(next));
    this.current = next;
    return next;
  }
}

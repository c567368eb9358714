import { useEffect, useState } from 'preact/hooks';

/**
 * A minimal router over the History API: the API serves index.html for every dashboard path, so
 * addresses are real paths (/monitors/:id) that can be bookmarked, shared and reloaded.
 */

type Listener = () => void;
const listeners = new Set<Listener>();

function notify(): void {
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', notify);

/** Goes to `to`; `replace` for changes within a page (filters), which keep the scroll position. */
export function navigate(to: string, { replace = false } = {}): void {
  if (to === location.pathname + location.search) return;
  if (replace) {
    history.replaceState(null, '', to);
  } else {
    history.pushState(null, '', to);
    window.scrollTo(0, 0);
  }
  notify();
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

/** The current path and query, re-rendering the caller on every navigation. */
export function useLocation(): Location {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((v) => v + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Matches `/monitors/:id/edit`-style patterns; parameters are decoded. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const source = pattern.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const found = new RegExp(`^${source}/?$`).exec(path);
  if (!found) return null;
  try {
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]));
  } catch {
    return null;
  }
}

/** Follows a same-origin link without reloading, unless the user asked for a new tab or window. */
export function followLink(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!anchor || anchor.target || anchor.origin !== location.origin) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}

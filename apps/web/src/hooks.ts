import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | undefined;
  /** The last failure; cleared by the next success. Old data stays on screen meanwhile. */
  error: Error | undefined;
  /** When the data last arrived (epoch ms). */
  updatedAt: number | undefined;
  reload: () => void;
}

/**
 * Loads now, then again every `intervalMs` while the page is visible, without reloading the page. The
 * next load is scheduled when the previous one ends (never two at once), and waits longer when loads are
 * slow (ten times their duration), so a big account cannot make the dashboard hammer the database.
 * Changing `key` starts over with new data.
 */
export function usePolling<T>(
  load: (signal: AbortSignal) => Promise<T>,
  intervalMs: number,
  key: string,
): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, 'reload'>>({
    data: undefined,
    error: undefined,
    updatedAt: undefined,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const keyRef = useRef(key);

  useEffect(() => {
    if (keyRef.current !== key) {
      keyRef.current = key;
      setState({ data: undefined, error: undefined, updatedAt: undefined });
    }
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;

    const run = async () => {
      timer = undefined;
      if (document.hidden) return; // resumed by visibilitychange
      controller = new AbortController();
      const started = performance.now();
      try {
        const data = await loadRef.current(controller.signal);
        if (stopped) return;
        setState({ data, error: undefined, updatedAt: Date.now() });
      } catch (error) {
        if (stopped || (error as Error).name === 'AbortError') return;
        setState((previous) => ({ ...previous, error: error as Error }));
      }
      if (stopped) return;
      const delay = Math.max(intervalMs, 10 * (performance.now() - started));
      timer = setTimeout(run, delay);
    };
    const onVisibility = () => {
      if (!document.hidden && timer === undefined && !stopped) void run();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void run();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      controller?.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [key, generation, intervalMs]);

  return { ...state, reload };
}

/** The current time, ticking every `intervalMs`, for "3 min ago" labels. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** The width of an element, following resizes (for charts drawn in real pixels). */
export function useWidth<E extends Element>(): [(element: E | null) => void, number] {
  const [width, setWidth] = useState(0);
  const observer = useRef<ResizeObserver | undefined>(undefined);
  const ref = useCallback((element: E | null) => {
    observer.current?.disconnect();
    if (!element) return;
    observer.current = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.floor(entry.contentRect.width));
    });
    observer.current.observe(element);
    setWidth(Math.floor(element.getBoundingClientRect().width));
  }, []);
  return [ref, width];
}

/** Whether a media query matches now, following changes (a phone turned, a window resized). */
export function useMediaQuery(query: string): boolean {
  const [matches, setMatches] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const onChange = () => setMatches(list.matches);
    onChange();
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, [query]);
  return matches;
}

import { useEffect, useRef, useState } from 'preact/hooks';
import { announce } from './announcer.js';
import { api, type OverviewFilter } from './api.js';
import type { CheckStatus, MonitorStatus, Overview, OverviewMonitor, RecentCheck } from './types.js';

/**
 * The overview as the server pages it: the first page of the current filters, more pages as the list is
 * scrolled, and live changes from the server's event stream patched into the rows already loaded (or,
 * where the stream cannot be opened, the loaded rows polled again). Nothing here holds more than the
 * pages the user has scrolled through.
 */

export const PAGE_SIZE = 50;
const RECENT_SLOTS = 30;
/** Events are applied in batches: thousands of monitors checked every 30 s make hundreds per second. */
const APPLY_EVERY_MS = 1_000;
/**
 * A monitor not loaded changed state (it may belong on screen now, and the counts moved): the rows are
 * asked for again this long after, once for all such changes meanwhile.
 */
const RELOAD_DELAY_MS = 3_000;
const POLL_MS = 15_000;
/** The stream names at most this many monitors (the API's limit is 500); rows on screen are fewer. */
const WATCH_LIMIT = 200;
const WATCH_DELAY_MS = 500;
/**
 * With the stream open, the loaded rows are still asked for again now and then: uptime, sparklines and
 * status codes are not in the events.
 */
const REFRESH_MS = 60_000;
/** The most rows a poll loads again (the API's page limit). */
const POLL_LIMIT = 500;

export interface StateEvent {
  monitorId: string;
  status: MonitorStatus;
  since: string;
}
export interface CheckEvent {
  monitorId: string;
  region: string;
  status: CheckStatus;
  responseTimeMs: number | null;
  checkedAt: string;
  /** Where the stream says them: the tick's details then name the failure. */
  statusCode?: number | null;
  reason?: string | null;
}

export interface OverviewList {
  monitors: OverviewMonitor[];
  counts: Overview['counts'] | undefined;
  tags: string[];
  windowHours: number;
  hasMore: boolean;
  loading: boolean;
  error: Error | undefined;
  /** When data last arrived, from a page or from the stream (epoch ms). */
  updatedAt: number | undefined;
  /** 'stream' while the event stream is open, 'polling' after it failed. */
  live: 'connecting' | 'stream' | 'polling';
  loadMore: () => void;
  /** The monitors on screen now: the event stream names them, so it carries only their news. */
  watch: (monitorIds: string[]) => void;
}

interface State {
  monitors: OverviewMonitor[];
  nextCursor: string | null;
  counts: Overview['counts'] | undefined;
  tags: string[];
  windowHours: number;
  loading: boolean;
  error: Error | undefined;
  updatedAt: number | undefined;
}

const EMPTY: State = {
  monitors: [],
  nextCursor: null,
  counts: undefined,
  tags: [],
  windowHours: 24,
  loading: true,
  error: undefined,
  updatedAt: undefined,
};

export function useOverviewList(filter: OverviewFilter): OverviewList {
  const key = JSON.stringify(filter);
  const [state, setState] = useState<State>(EMPTY);
  const [live, setLive] = useState<OverviewList['live']>('connecting');
  const stateRef = useRef(state);
  stateRef.current = state;
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const controller = useRef<AbortController | undefined>(undefined);

  const load = (cursor: string | null, limit = PAGE_SIZE) => {
    controller.current?.abort();
    const current = new AbortController();
    controller.current = current;
    setState((s) => ({ ...s, loading: true }));
    api.overview({ ...filterRef.current, limit, cursor: cursor ?? undefined }, current.signal).then(
      (page) =>
        setState((s) => ({
          monitors: cursor === null ? page.monitors : appendNew(s.monitors, page.monitors),
          nextCursor: page.nextCursor ?? null,
          counts: page.counts,
          tags: page.tags ?? [],
          windowHours: page.windowHours,
          loading: false,
          error: undefined,
          updatedAt: Date.now(),
        })),
      (error: Error) => {
        if (error.name === 'AbortError') return;
        setState((s) => ({ ...s, loading: false, error }));
      },
    );
  };

  // A new filter starts over from its first page.
  useEffect(() => {
    setState((s) => ({ ...EMPTY, tags: s.tags }));
    load(null);
    return () => controller.current?.abort();
  }, [key]);

  const [watched, setWatched] = useState('');
  const watchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(watchTimer.current), []);
  const watch = (monitorIds: string[]) => {
    // While scrolling the rows change every frame: the stream follows once they settle.
    clearTimeout(watchTimer.current);
    const next = monitorIds.slice(0, WATCH_LIMIT).join(',');
    watchTimer.current = setTimeout(() => setWatched(next), WATCH_DELAY_MS);
  };
  useLiveUpdates(stateRef, setState, setLive, filterRef, key, watched);

  return {
    monitors: state.monitors,
    counts: state.counts,
    tags: state.tags,
    windowHours: state.windowHours,
    hasMore: state.nextCursor !== null,
    loading: state.loading,
    error: state.error,
    updatedAt: state.updatedAt,
    live,
    watch,
    loadMore: () => {
      const s = stateRef.current;
      if (!s.loading && s.nextCursor !== null) load(s.nextCursor);
    },
  };
}

/** A later page may repeat a monitor that moved while scrolling (its state changed): kept once. */
function appendNew(loaded: OverviewMonitor[], page: OverviewMonitor[]): OverviewMonitor[] {
  const seen = new Set(loaded.map((m) => m.id));
  return [...loaded, ...page.filter((m) => !seen.has(m.id))];
}

type SetState = (update: (s: State) => State) => void;

/**
 * Subscribes to /api/overview/events, and loads the loaded rows again every REFRESH_MS; when the stream
 * cannot be opened (or is refused), every POLL_MS instead.
 */
function useLiveUpdates(
  stateRef: { current: State },
  setState: SetState,
  setLive: (live: OverviewList['live']) => void,
  filterRef: { current: OverviewFilter },
  key: string,
  watched: string,
): void {
  const pendingRef = useRef<Array<['state', StateEvent] | ['check', CheckEvent]>>([]);
  const fallBackRef = useRef<() => void>(() => undefined);
  const reloadSoonRef = useRef<() => void>(() => undefined);
  /** Set once the server refused the stream: polling from then on. */
  const refusedRef = useRef(false);
  useEffect(() => {
    let stopped = false;
    let pollTimer: ReturnType<typeof setTimeout> | undefined;
    let pollEvery = REFRESH_MS;
    let inFlight = false;
    const controller = new AbortController();

    const apply = () => {
      if (pendingRef.current.length === 0) return;
      const events = pendingRef.current;
      pendingRef.current = [];
      const loaded = new Set(stateRef.current.monitors.map((m) => m.id));
      if (events.some(([type, e]) => type === 'state' && !loaded.has(e.monitorId))) reloadSoon();
      setState((s) => {
        const patched = applyEvents(s, events);
        if (patched.changes.length > 0 && patched.changes.length <= 5) {
          announce(patched.changes.map((m) => `${m.name} is now ${m.status}`).join('. '));
        } else if (patched.changes.length > 5) {
          announce(`${patched.changes.length} monitors changed status`);
        }
        return patched.state;
      });
    };
    const applier = setInterval(apply, APPLY_EVERY_MS);

    const poll = () => {
      pollTimer = undefined;
      reloadingSoon = false;
      if (stopped) return;
      if (document.hidden) {
        pollTimer = setTimeout(poll, pollEvery);
        return;
      }
      const limit = Math.min(POLL_LIMIT, Math.max(PAGE_SIZE, stateRef.current.monitors.length));
      inFlight = true;
      api.overview({ ...filterRef.current, limit }, controller.signal).then(
        (page) => {
          inFlight = false;
          if (stopped) return;
          setState((s) => ({
            ...s,
            // Beyond the rows polled, what was scrolled to stays as it was.
            monitors: appendNew(page.monitors, s.monitors.slice(page.monitors.length)),
            nextCursor: s.monitors.length > page.monitors.length ? s.nextCursor : (page.nextCursor ?? null),
            counts: page.counts,
            tags: page.tags ?? s.tags,
            error: undefined,
            updatedAt: Date.now(),
          }));
          pollTimer = setTimeout(poll, pollEvery);
        },
        (error: Error) => {
          inFlight = false;
          if (stopped || error.name === 'AbortError') return;
          setState((s) => ({ ...s, error }));
          pollTimer = setTimeout(poll, pollEvery);
        },
      );
    };

    let reloadingSoon = false;
    const reloadSoon = () => {
      if (inFlight || reloadingSoon) return;
      reloadingSoon = true;
      if (pollTimer !== undefined) clearTimeout(pollTimer);
      pollTimer = setTimeout(poll, RELOAD_DELAY_MS);
    };

    const fallBack = () => {
      refusedRef.current = true;
      setLive('polling');
      pollEvery = POLL_MS;
      if (pollTimer !== undefined) clearTimeout(pollTimer);
      // A poll under way schedules the next one itself.
      pollTimer = inFlight ? undefined : setTimeout(poll, pollEvery);
    };
    fallBackRef.current = fallBack;
    reloadSoonRef.current = reloadSoon;
    pollTimer = setTimeout(poll, pollEvery);
    if (typeof EventSource === 'undefined' || refusedRef.current) fallBack();

    return () => {
      stopped = true;
      controller.abort();
      clearInterval(applier);
      if (pollTimer) clearTimeout(pollTimer);
    };
  }, [key]);

  // The stream, naming the monitors on screen; opened again when they change.
  useEffect(() => {
    if (watched === '' || refusedRef.current || typeof EventSource === 'undefined') return;
    const source = new EventSource(`/api/overview/events?monitorIds=${watched}`);
    source.addEventListener('open', () => setLive('stream'));
    // The browser retries a dropped stream by itself; a refused one (CLOSED) is given up for polling.
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        fallBackRef.current();
      } else {
        setLive('connecting');
      }
    });
    source.addEventListener('state', (event) => {
      const data = parse<StateEvent>((event as MessageEvent<string>).data);
      if (data) pendingRef.current.push(['state', data]);
    });
    // A maintenance window started or ended: the shown states (and the counts) are the server's to say.
    source.addEventListener('maintenance', () => reloadSoonRef.current());
    source.addEventListener('check', (event) => {
      const data = parse<CheckEvent>((event as MessageEvent<string>).data);
      if (data) pendingRef.current.push(['check', data]);
    });
    return () => source.close();
  }, [watched]);
}

function parse<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * The loaded rows with the events applied: a monitor's new state (and the counts moved with it), a
 * region's newest check, and a tick on the check bar (one per slot: checks of the regions of one slot
 * land on the same tick).
 */
export function applyEvents(
  state: State,
  events: Array<['state', StateEvent] | ['check', CheckEvent]>,
): { state: State; changes: OverviewMonitor[] } {
  const index = new Map(state.monitors.map((m, i) => [m.id, i]));
  const monitors = state.monitors.slice();
  const counts = state.counts ? { ...state.counts } : undefined;
  const changes: OverviewMonitor[] = [];
  for (const [type, event] of events) {
    const i = index.get(event.monitorId);
    if (i === undefined) continue;
    const monitor = monitors[i]!;
    if (type === 'state') {
      if (monitor.status === event.status) continue;
      if (counts && event.status in counts) {
        counts[monitor.status] = Math.max(0, counts[monitor.status] - 1);
        counts[event.status] += 1;
      }
      const changed = { ...monitor, status: event.status, stateSince: event.since };
      if (monitor.status !== 'paused' && event.status !== 'paused') changes.push(changed);
      monitors[i] = changed;
    } else {
      monitors[i] = withCheck(monitor, event);
    }
  }
  const updated = events.length > 0 ? Date.now() : state.updatedAt;
  return { state: { ...state, monitors, counts, updatedAt: updated }, changes };
}

function withCheck(monitor: OverviewMonitor, check: CheckEvent): OverviewMonitor {
  const regions = monitor.regions.map((r) =>
    r.region !== check.region
      ? r
      : {
          ...r,
          status: check.status,
          since: r.status === check.status ? r.since : check.checkedAt,
          lastCheckedAt: check.checkedAt,
          responseTimeMs: check.responseTimeMs,
        },
  );
  const down = check.status === 'Down';
  const last = monitor.recent[monitor.recent.length - 1];
  // Checks of one slot from several regions arrive within moments of each other.
  const sameSlot =
    last !== undefined &&
    Math.abs(Date.parse(check.checkedAt) - Date.parse(last.scheduledAt)) <
      Math.min(30_000, (monitor.intervalSeconds * 1000) / 2);
  const tick: RecentCheck = sameSlot
    ? {
        ...last,
        regions: last.regions + 1,
        downRegions: last.downRegions + (down ? 1 : 0),
        status: down || last.status === 'Down' ? 'Down' : 'Up',
        ...(down && last.status !== 'Down'
          ? {
              region: check.region,
              statusCode: check.statusCode ?? null,
              reason: check.reason ?? null,
              responseTimeMs: check.responseTimeMs ?? 0,
            }
          : {}),
      }
    : {
        scheduledAt: check.checkedAt,
        status: check.status,
        region: check.region,
        statusCode: check.statusCode ?? null,
        reason: check.reason ?? null,
        responseTimeMs: check.responseTimeMs ?? 0,
        regions: 1,
        downRegions: down ? 1 : 0,
      };
  const recent = sameSlot ? [...monitor.recent.slice(0, -1), tick] : [...monitor.recent, tick];
  return { ...monitor, regions, recent: recent.slice(-RECENT_SLOTS) };
}

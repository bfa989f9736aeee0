/** Polling, the hash route and settings kept in localStorage. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { toApiError, type ApiError } from './api';

export interface Poll<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  updatedAt?: Date;
  refresh: () => void;
}

interface PollState<T> {
  key: string;
  data?: T;
  error?: ApiError;
  loading: boolean;
  updatedAt?: Date;
}

/**
 * `load()` now and then every `intervalMs` (0: only on refresh) until `key` changes or the component goes.
 * The next call is timed from the end of the last, so a slow API is never asked twice at once; a hidden tab
 * skips its turns and catches up the moment it is shown again.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, key: string): Poll<T> {
  const [state, setState] = useState<PollState<T>>({ key, loading: true });
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    const schedule = () => {
      if (!cancelled && intervalMs > 0) timer = setTimeout(run, intervalMs);
    };
    const run = async () => {
      if (inFlight) return;
      if (document.hidden) return schedule();
      inFlight = true;
      try {
        const data = await loadRef.current();
        if (!cancelled) setState({ key, data, loading: false, updatedAt: new Date() });
      } catch (error) {
        const failure = toApiError(error);
        if (!cancelled) setState((previous) => ({ ...(previous.key === key ? previous : { key }), key, error: failure, loading: false }));
        // A 404 stays a 404: asking every second for a job that is gone only adds load; refresh asks again.
        if (failure.status === 404) cancelled = true;
      } finally {
        inFlight = false;
        schedule();
      }
    };
    const onVisible = () => {
      if (document.hidden) return;
      clearTimeout(timer);
      void run();
    };
    void run();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      cancelled = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [key, intervalMs, nonce]);

  const refresh = useCallback(() => setNonce((n) => n + 1), []);
  // Data of the previous key must not show under the new one while the new one loads.
  const current = state.key === key ? state : { key, loading: true };
  return { ...current, refresh };
}

export interface Route {
  page: 'jobs' | 'job' | 'new' | 'stats';
  id?: string;
  params: URLSearchParams;
}

function parseHash(): Route {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = hash.split('?');
  const params = new URLSearchParams(query);
  const job = /^\/jobs\/(.+)$/.exec(path);
  if (job?.[1]) return { page: 'job', id: decodeURIComponent(job[1]), params };
  if (path === '/new') return { page: 'new', params };
  if (path === '/stats') return { page: 'stats', params };
  return { page: 'jobs', params };
}

/** Routes live in the hash: the page is one file at the API's root, and the API owns every other path. */
export function useHashRoute(): Route {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const onChange = () => setRoute(parseHash());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(hash: string): void {
  location.hash = hash;
}

/** A value kept in localStorage under `key`. */
export function useStored<T>(key: string, fallback: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? fallback : (JSON.parse(raw) as T);
    } catch {
      return fallback;
    }
  });
  const store = useCallback(
    (next: T) => {
      setValue(next);
      try {
        localStorage.setItem(key, JSON.stringify(next));
      } catch {
        // Storage full or disabled (private mode): the setting lasts for this page only.
      }
    },
    [key],
  );
  return [value, store];
}

/** The shell: header (navigation, refresh interval, access), and the page the hash names. */
import { useEffect, useState } from 'preact/hooks';
import { onAuthProblem, readCredentials, request, writeCredentials, type ApiError } from './api';
import { noteServerNow, relativeTime } from './format';
import { navigate, useHashRoute, usePoll, useStored } from './hooks';
import { JobPage } from './components/JobPage';
import { JobsPage, jobsHash } from './components/JobsPage';
import { StatsPage } from './components/StatsPage';
import { SubmitForm } from './components/SubmitForm';

/** On loopback the runtime is this machine: poll every 2 s. Elsewhere seed 000's 30 s spares the API. */
const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])$/.test(location.hostname);
const DEFAULT_REFRESH_MS = LOOPBACK ? 2_000 : 30_000;
const REFRESH_CHOICES = [
  [1_000, '1 s'],
  [2_000, '2 s'],
  [5_000, '5 s'],
  [10_000, '10 s'],
  [30_000, '30 s'],
  [60_000, '1 min'],
  [0, 'off'],
] as const;

function Access({ open, onToggle, problem }: { open: boolean; onToggle: (open: boolean) => void; problem: ApiError | undefined }) {
  const [values, setValues] = useState(readCredentials);
  const save = (event: Event) => {
    event.preventDefault();
    writeCredentials(values);
    // Every poll reads the stored credentials on its next turn; reload so they all ask again now.
    location.reload();
  };
  const has = values.apiKey || values.token;
  return (
    <details class="access" open={open} onToggle={(e) => onToggle((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>{has ? 'Access ✓' : 'Access'}</summary>
      <form class="access-panel" onSubmit={save}>
        {problem && (
          <p class="error-note">
            {problem.status} <code>{problem.code}</code> {problem.message}
          </p>
        )}
        <p class="hint">
          {LOOPBACK ? 'On loopback the runtime needs nothing unless it was started with --token.' : 'The API key (x-api-key) from sls deploy, and the API_TOKEN if one was set.'} Kept in this browser's
          localStorage.
        </p>
        <label>
          API key
          <input type="password" autoComplete="off" value={values.apiKey} onInput={(e) => setValues({ ...values, apiKey: e.currentTarget.value })} />
        </label>
        <label>
          Bearer token
          <input type="password" autoComplete="off" value={values.token} onInput={(e) => setValues({ ...values, token: e.currentTarget.value })} />
        </label>
        <div class="buttons">
          <button type="submit" class="button primary">
            Save
          </button>
          <button
            type="button"
            class="button"
            onClick={() => {
              writeCredentials({ apiKey: '', token: '' });
              location.reload();
            }}
          >
            Forget
          </button>
        </div>
      </form>
    </details>
  );
}

/**
 * Whether the API answers (`GET /health`), and when it last did: a green dot only while it does, "down"
 * with the time of the last answer when it does not. Its `now` sets the clock relative times are read on.
 */
function ApiStatus({ refreshMs }: { refreshMs: number }) {
  const health = usePoll(
    async () => {
      const answer = await request<{ status: string; now: string }>('GET', 'health');
      noteServerNow(answer.now);
      return { at: new Date() };
    },
    refreshMs > 0 ? Math.max(refreshMs, 5_000) : 0,
    'health',
  );
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 5_000);
    return () => clearInterval(timer);
  }, []);
  const down = health.error !== undefined && (health.error.status === 0 || health.error.status >= 500);
  const last = health.data?.at;
  const since = last ? relativeTime(last.toISOString(), Date.now()) : null;
  return (
    <span class={`topbar-status${down ? ' is-down' : ''}`} role="status" data-api={down ? 'down' : health.data ? 'up' : 'unknown'}>
      <span class={`live-dot${!down && health.data && refreshMs > 0 ? ' is-live' : ''}`} aria-hidden="true" /> {down ? `API down${since ? `; last answer ${since}` : ''}` : since ? `updated ${since}` : 'connecting…'}
    </span>
  );
}

export function App() {
  const route = useHashRoute();
  const [refreshMs, setRefreshMs] = useStored<number>('step-scheduler:refreshMs', DEFAULT_REFRESH_MS);
  const [authProblem, setAuthProblem] = useState<ApiError>();
  const [accessOpen, setAccessOpen] = useState(false);
  const [justSubmitted, setJustSubmitted] = useState<string>();

  useEffect(
    () =>
      onAuthProblem((error) => {
        setAuthProblem(error);
        setAccessOpen(true);
      }),
    [],
  );

  const filters = { status: route.params.get('status') ?? '', group: route.params.get('group') ?? '', tag: route.params.get('tag') ?? '', attention: route.params.get('attention') ?? '' };
  let page;
  switch (route.page) {
    case 'job':
      page = <JobPage key={route.id} id={route.id ?? ''} refreshMs={refreshMs} />;
      break;
    case 'new':
      page = (
        <div class="page page-new">
          <SubmitForm
            onSubmitted={(jobId) => {
              setJustSubmitted(jobId);
              navigate('/');
            }}
          />
        </div>
      );
      break;
    case 'stats':
      page = <StatsPage refreshMs={refreshMs} />;
      break;
    default:
      page = <JobsPage refreshMs={refreshMs} filters={filters} onFilters={(next) => navigate(jobsHash(next))} {...(justSubmitted ? { highlight: justSubmitted } : {})} />;
  }

  return (
    <>
      <header class="topbar">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true" />
          step-scheduler
        </a>
        <nav aria-label="Pages">
          <a href="#/" aria-current={route.page === 'jobs' || route.page === 'job' ? 'page' : undefined}>
            Jobs
          </a>
          <a href="#/new" aria-current={route.page === 'new' ? 'page' : undefined}>
            New job
          </a>
          <a href="#/stats" aria-current={route.page === 'stats' ? 'page' : undefined}>
            Stats
          </a>
        </nav>
        <div class="topbar-tools">
          <ApiStatus refreshMs={refreshMs} />
          <label class="refresh" title="How often the page asks the API again">
            refresh
            <select name="refresh" value={String(refreshMs)} onChange={(e) => setRefreshMs(Number(e.currentTarget.value))}>
              {REFRESH_CHOICES.map(([ms, label]) => (
                <option key={ms} value={String(ms)}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <Access open={accessOpen} onToggle={setAccessOpen} problem={authProblem} />
        </div>
      </header>
      <main>{page}</main>
    </>
  );
}

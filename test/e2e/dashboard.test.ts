/**
 * The dashboard in a real browser: Debian's chromium, driven by playwright-core, against the local runtime
 * at a day a second, serving the page built from src/dashboard at start. Every step goes through the page
 * as a user would: the form, the jobs list, the job page.
 *
 * chromium is required, not optional: without /usr/bin/chromium every test here fails (`.ci/run` installs
 * it), so a machine that cannot run them says so instead of passing quietly.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startRuntime, type Runtime } from '../../src/local/runtime';

const CHROMIUM = '/usr/bin/chromium';
const DAY = 86_400_000;

let runtime: Runtime;
let browser: Browser;
/** A loopback webhook receiver: `/refused` answers 404; `/flaky` 503 to the first two calls of each run, then 200. */
let receiver: http.Server;
let hook: string;
const calls = new Map<string, number>();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the dashboard tests need it (apt-get install -y --no-install-recommends chromium; .ci/run does this)`);
  }
  receiver = http.createServer((req, res) => {
    req.resume();
    const key = `${req.url}:${String(req.headers['idempotency-key'])}`;
    const n = (calls.get(key) ?? 0) + 1;
    calls.set(key, n);
    if (req.url === '/refused') return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found","message":"no such hook"}');
    if (req.url === '/flaky' && n <= 2) return void res.writeHead(503).end(`busy (call ${n})`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // The webhook receiver is on loopback, which the guard refuses unless allow-listed.
  runtime = await startRuntime({ port: 0, memory: true, speed: 86_400, allowHosts: '127.0.0.1' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}, 60_000);

/** Script errors in any page a test opened: each test ends with none. */
const pageErrors: string[] = [];

afterEach(() => {
  const errors = pageErrors.splice(0);
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await runtime?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function open(path: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${runtime.url}/${path}`);
  return page;
}

/** A `datetime-local` value for an instant, read in UTC (the zone the tests give their jobs). */
function utcLocal(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19);
}

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${runtime.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${runtime.url}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** An instant as the API wants it, `days` warped days from the runtime's now: ISO-8601 UTC, whole seconds. */
function daysAhead(days: number): string {
  return new Date(Math.ceil((runtime.clock.now().getTime() + days * DAY) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Waits until the API shows the job in `status`. */
async function waitForStatus(id: string, status: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    const response = await fetch(`${runtime.url}/jobs/${id}`);
    seen = response.ok ? ((await response.json()) as { status: string }).status : String(response.status);
    if (seen === status) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${id} is ${seen}, not ${status}`);
}

/** The scheduler's clock (`GET /health`), as the dashboard reads it. */
async function schedulerNow(): Promise<number> {
  return Date.parse((await getJson<{ now: string }>('/health')).now);
}

interface ExtraRequestView {
  requestId: string;
  kind: string;
  state: string;
  from: string | null;
  to: string | null;
  iterations: { first: number; last: number } | null;
  note: string | null;
  runs: { total: number; completed: number; failed: number };
}

interface ExtraRunView {
  requestId: string;
  kind: string;
  index: number;
  iteration: number | null;
  action: string;
  state: string;
  plannedAt: string;
}

interface JobWithExtras {
  status: string;
  nextRunAt: string | null;
  progress: { completedRuns: number; failedRuns: number; skippedRuns: number; steps: Array<{ iteration: number; state: string }> };
  extraRequests: ExtraRequestView[];
  extraRuns: ExtraRunView[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The ids of the rows the jobs list shows, sorted. */
async function listedIds(page: Page): Promise<string[]> {
  const ids = await page.locator('.job-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-job-id') ?? ''));
  return ids.sort();
}

/** Waits until the jobs list shows exactly `expected` (polling: the list loads after the hash changes). */
async function expectListed(page: Page, expected: string[], timeoutMs = 10_000): Promise<void> {
  const want = [...expected].sort();
  const deadline = Date.now() + timeoutMs;
  let seen: string[] = [];
  while (Date.now() < deadline) {
    seen = await listedIds(page);
    if (JSON.stringify(seen) === JSON.stringify(want)) return;
    await page.waitForTimeout(50);
  }
  expect(seen).toEqual(want);
}

describe('the dashboard', () => {
  it('is served at / with its bundle, uncached, and leaves the API paths to the API', async () => {
    const get = (path: string) => fetch(`${runtime.url}${path}`);
    const [html, js, css, jobs] = await Promise.all([get('/'), get('/app.js'), get('/app.css'), get('/jobs')]);

    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const file of [html, js, css]) expect(file.headers.get('cache-control')).toBe('no-cache');
    expect(await html.text()).toContain('<script defer src="app.js"></script>');
    expect(jobs.headers.get('content-type')).toContain('application/json');
  });

  it('submits a 7-day workflow through the form, shows its progress reach 100 %, then its report and chart', async () => {
    const page = await open('#/new');
    // A few seconds at a day a second: days of warped time, so the form is submitted well before run 0 is
    // due (the calculator treats a run over a minute late as missed).
    const start = runtime.clock.now().getTime() + 3 * DAY;
    await page.fill('#f-id', 'dashboard-week');
    await page.fill('#f-timeZone', 'UTC');
    await page.fill('#f-startDateTime', utcLocal(start));
    await page.fill('#f-endDateTime', utcLocal(start + 6 * DAY));
    // At a day a second, a loaded machine can be a second late, which the default catch-up ("one") records as a
    // skipped run; "all" over a year's window runs every missed run, so the job always has its 7 runs.
    await page.click('details.options > summary');
    await page.selectOption('#f-catchUp', 'all');
    await page.fill('#f-catchUpWindowMinutes', '525600');
    await page.click('form.submit-form button[type=submit]');

    const row = page.locator('.job-row[data-job-id="dashboard-week"]');
    await row.waitFor();
    const bar = row.locator('[role=progressbar]');
    const seen = new Set<string>();
    const deadline = Date.now() + 90_000;
    for (;;) {
      const value = (await bar.getAttribute('aria-valuenow')) ?? '';
      seen.add(value);
      if (value === '100') break;
      if (Date.now() > deadline) throw new Error(`the progress bar stopped at ${value} % (seen: ${[...seen].join(', ')})`);
      await page.waitForTimeout(100);
    }

    // The bar moved under polling, not only once at the end.
    expect([...seen].some((value) => Number(value) > 0 && Number(value) < 100)).toBe(true);
    await row.locator('text=7 of 7 runs').waitFor();

    await row.locator('a.job-id').click();
    const rows = page.locator('table.report-table tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(7);
    expect(await rows.nth(0).locator('td').nth(1).innerText()).toContain('collection');
    expect(await page.locator('svg.report-chart .chart-bar').count()).toBe(7);
    expect(await page.locator('svg.report-chart .chart-bar.type-collection rect').count()).toBe(1);
    expect(await page.locator('.page-job .badge[data-status="COMPLETED"]').count()).toBeGreaterThan(0);
    // The state machine, drawn from the ASL, marks where a completed job ended.
    expect(await page.locator('.asl svg').getAttribute('data-current')).toBe('Finish');
    expect(await page.locator('.asl .asl-node.is-current').getAttribute('data-state')).toBe('Finish');
    expect(await page.locator('.timeline > li').count()).toBe(7);
    await page.close();
  }, 150_000);

  it("shows the API's validation message at the field it names", async () => {
    const page = await open('#/new');
    await page.fill('#f-id', 'dashboard-bad-zone');
    await page.fill('#f-timeZone', 'Mars/Olympus_Mons');
    await page.click('form.submit-form button[type=submit]');
    const error = page.locator('[data-field="timeZone"] .field-error');
    await error.waitFor();

    // The same body straight to the API: the page shows its message as the API wrote it.
    // (textContent: the preview sits in a closed <details>, which has no rendered text.)
    const body = JSON.parse((await page.locator('.body-preview pre').textContent()) ?? '') as unknown;
    const answer = (await (await post('/jobs', body)).json()) as { error: { field: string; message: string } };
    expect(answer.error.field).toBe('timeZone');
    expect(await error.innerText()).toBe(answer.error.message);
    expect(await page.locator('#f-timeZone').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-error').count()).toBe(1);
    expect((await fetch(`${runtime.url}/jobs/dashboard-bad-zone`)).status).toBe(404);
    expect(page.url()).toMatch(/#\/new$/);
    await page.close();
  }, 30_000);

  it('submits a cron job with its scheduling options, shows them in the list and on its page, and the API stored them', async () => {
    const page = await open('#/new');
    // A year ahead: at a day a second the job does not run while the test looks at it.
    const start = runtime.clock.now().getTime() + 365 * DAY;
    await page.check('input[name="kind"][value="message"]');
    await page.fill('#f-id', 'dashboard-cron');
    await page.fill('#f-timeZone', 'UTC');
    await page.fill('#f-startDateTime', utcLocal(start));
    await page.check('input[name="timing"][value="expression"]');
    await page.fill('#f-scheduleExpression', 'cron(0 9 * * ? *)');
    await page.fill('#f-endDateTime', '');
    await page.fill('#f-maxRuns', '3');
    // The options sit in a closed disclosure: the simple form stays simple.
    expect(await page.locator('#f-group').isVisible()).toBe(false);
    await page.click('details.options > summary');
    await page.fill('#f-flexibleWindowMinutes', '30');
    await page.selectOption('#f-catchUp', 'all');
    await page.fill('#f-catchUpWindowMinutes', '120');
    await page.selectOption('#f-overlap', 'bufferOne');
    await page.fill('#f-retentionDays', '14');
    await page.fill('#f-group', 'billing');
    await page.fill('#f-tags', 'nightly, team=ops  eu');

    // Only what was set is sent: no frequency beside the expression, no end, no defaulted option.
    const body = JSON.parse((await page.locator('.body-preview pre').textContent()) ?? '') as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      ['action', 'catchUp', 'catchUpWindowMinutes', 'flexibleWindowMinutes', 'group', 'id', 'maxRuns', 'overlap', 'retentionDays', 'scheduleExpression', 'startDateTime', 'tags', 'timeZone'].sort(),
    );
    await page.click('form.submit-form button[type=submit]');

    const row = page.locator('.job-row[data-job-id="dashboard-cron"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator('.job-kind').innerText()).toContain('cron(0 9 * * ? *)');
    expect(await row.locator('.group-label').innerText()).toBe('billing');
    expect(await row.locator('.tag').allInnerTexts()).toEqual(['nightly', 'team=ops', 'eu']);

    const stored = await getJson<{ status: string; job: Record<string, unknown> }>('/jobs/dashboard-cron');
    expect(stored.job).toMatchObject({
      scheduleExpression: 'cron(0 9 * * ? *)',
      maxRuns: 3,
      flexibleWindowMinutes: 30,
      catchUp: 'all',
      catchUpWindowMinutes: 120,
      overlap: 'bufferOne',
      retentionDays: 14,
      group: 'billing',
      tags: ['nightly', 'team=ops', 'eu'],
      timeZone: 'UTC',
    });
    expect(stored.job).not.toHaveProperty('frequency');
    expect(stored.job).not.toHaveProperty('endDateTime');
    expect(stored.job).not.toHaveProperty('forever');

    await row.locator('a.job-id').click();
    const option = (name: string) => page.locator(`.page-job [data-option="${name}"]`).innerText();
    await page.locator('.page-job [data-option="repeats"]').waitFor();
    // The expression in words (cronstrue), and as written.
    expect(await option('repeats')).toBe('At 09:00 · cron(0 9 * * ? *)');
    expect(await option('timeZone')).toBe('UTC');
    expect(await option('maxRuns')).toBe('at most 3 runs');
    expect(await option('ends')).toBe('at its run limit');
    expect(await option('flexibleWindowMinutes')).toContain('within 30 min after its planned time');
    expect(await option('catchUp')).toMatch(/^all: runs every missed run/);
    expect(await option('catchUpWindowMinutes')).toMatch(/^2 h: /);
    expect(await option('overlap')).toMatch(/^bufferOne: /);
    expect(await option('retentionDays')).toMatch(/^14 days after it ends/);
    expect(await option('group')).toBe('billing');
    expect(await page.locator('.page-job [data-option="tags"] .tag').allInnerTexts()).toEqual(['nightly', 'team=ops', 'eu']);
    // Set options are not marked as defaults; with every one set, none is.
    expect(await page.locator('.page-job .kv dd .muted', { hasText: '(default)' }).count()).toBe(0);
    // The upcoming runs come from the expression: 09:00 plus at most the 30-minute window.
    const rows = page.locator('table.upcoming tbody tr');
    const firstUpcoming = await rows.first().locator('time.run-start').getAttribute('datetime');
    expect(firstUpcoming).toMatch(/T09:([0-2]\d|30):\d\d/);
    // Each start inside the window is shown with the planned 09:00 beside it, as the API plans them.
    const upcoming = await getJson<{ runs: Array<{ iteration: number; plannedAt: string; runAt: string; missed: boolean }> }>('/jobs/dashboard-cron/upcoming?count=5');
    expect(await rows.count()).toBe(upcoming.runs.length);
    for (const [i, run] of upcoming.runs.entries()) {
      const planned = rows.nth(i).locator('.planned-at time');
      expect(await planned.count()).toBe(run.runAt === run.plannedAt ? 0 : 1);
      if (run.runAt !== run.plannedAt) {
        expect(await planned.getAttribute('datetime')).toBe(run.plannedAt);
        expect(run.plannedAt).toMatch(/T09:00:00(\.000)?Z$/);
      }
      expect(await rows.nth(i).getAttribute('data-missed')).toBe('false');
    }
    expect(upcoming.runs.some((run) => run.runAt !== run.plannedAt)).toBe(true);
    await page.close();
  }, 30_000);

  it('shows a refused schedule expression at its input, and an error in the options with the options opened', async () => {
    const page = await open('#/new');
    await page.check('input[name="kind"][value="message"]');
    await page.fill('#f-id', 'dashboard-bad-cron');
    await page.fill('#f-timeZone', 'UTC');
    await page.check('input[name="timing"][value="expression"]');
    await page.fill('#f-scheduleExpression', 'cron(0 9 * * *)');
    await page.click('form.submit-form button[type=submit]');
    const error = page.locator('[data-field="scheduleExpression"] .field-error');
    await error.waitFor();

    const body = JSON.parse((await page.locator('.body-preview pre').textContent()) ?? '') as unknown;
    const answer = (await (await post('/jobs', body)).json()) as { error: { field: string; message: string } };
    expect(answer.error.field).toBe('scheduleExpression');
    expect(await error.innerText()).toBe(answer.error.message);
    expect(await page.locator('#f-scheduleExpression').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-error').count()).toBe(1);

    // A bad group: its input is in the closed disclosure, which opens to show the error beside it.
    await page.fill('#f-scheduleExpression', 'rate(5 minutes)');
    await page.click('details.options > summary');
    await page.fill('#f-group', 'no spaces allowed');
    await page.click('details.options > summary');
    expect(await page.locator('#f-group').isVisible()).toBe(false);
    // The API's answer first: if the page did not send it, or the API named another field, this says so
    // (a bare wait for the error element only said it never appeared).
    const [refused] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'POST' && new URL(response.url()).pathname === '/jobs'),
      page.click('form.submit-form button[type=submit]'),
    ]);
    expect({ status: refused.status(), field: ((await refused.json()) as { error?: { field?: string } }).error?.field }).toEqual({ status: 400, field: 'group' });
    const groupError = page.locator('[data-field="group"] .field-error');
    await groupError.waitFor({ state: 'attached' });
    expect(await groupError.isVisible()).toBe(true);
    expect(await groupError.innerText()).toMatch(/^group: /);
    expect(await page.locator('.field-error').count()).toBe(1);
    expect((await fetch(`${runtime.url}/jobs/dashboard-bad-cron`)).status).toBe(404);
    await page.close();
  }, 30_000);

  it('narrows the jobs list by group and by tag, keeping both in the address', async () => {
    const jobs = [
      { id: 'filter-a', group: 'filter-alpha', tags: ['filter-red', 'filter-x'] },
      { id: 'filter-b', group: 'filter-alpha', tags: ['filter-blue'] },
      { id: 'filter-c', group: 'filter-beta', tags: ['filter-red'] },
    ];
    for (const { id, group, tags } of jobs) {
      const response = await post('/jobs', { id, group, tags, startDateTime: daysAhead(3650), action: { type: 'message', text: 'later' } });
      expect(response.status).toBe(201);
    }
    const page = await open('#/?group=filter-alpha');
    await expectListed(page, ['filter-a', 'filter-b']);
    expect(await page.inputValue('.label-filter input[name="group"]')).toBe('filter-alpha');

    // Group and tag together.
    await page.fill('.label-filter input[name="tag"]', 'filter-red');
    await page.press('.label-filter input[name="tag"]', 'Enter');
    await expectListed(page, ['filter-a']);
    expect(new URL(page.url()).hash).toBe('#/?group=filter-alpha&tag=filter-red');

    // The tag alone.
    await page.fill('.label-filter input[name="group"]', '');
    await page.click('.label-filter button[type="submit"]');
    await expectListed(page, ['filter-a', 'filter-c']);
    expect(new URL(page.url()).hash).toBe('#/?tag=filter-red');

    // A group in a row narrows to it, on top of the tag.
    await page.click('.job-row[data-job-id="filter-c"] .group-label');
    await expectListed(page, ['filter-c']);
    expect(new URL(page.url()).hash).toBe('#/?group=filter-beta&tag=filter-red');
    expect(await page.inputValue('.label-filter input[name="group"]')).toBe('filter-beta');

    // With a status as well: these jobs are SCHEDULED, none is COMPLETED.
    await page.goto(`${runtime.url}/#/?status=COMPLETED&tag=filter-red`);
    await page.locator('.empty').waitFor();
    expect(await page.locator('.empty').innerText()).toContain('No job is completed, tagged filter-red.');

    await page.click('button[data-action="clear-labels"]');
    await page.goto(`${runtime.url}/#/`);
    await page.locator('.job-row[data-job-id="filter-b"]').waitFor();
    expect((await listedIds(page)).filter((id) => id.startsWith('filter-'))).toEqual(['filter-a', 'filter-b', 'filter-c']);
    await page.close();
  }, 30_000);

  it('pauses a job with a note and resumes it from its page', async () => {
    expect((await post('/jobs', { id: 'dashboard-pause', startDateTime: daysAhead(3650), action: { type: 'message', text: 'later' } })).status).toBe(201);
    const page = await open('#/jobs/dashboard-pause');
    const badge = page.locator('.job-head h1 .badge');
    await badge.waitFor();
    expect(await badge.getAttribute('data-status')).toBe('SCHEDULED');
    // Resume is offered to a paused job only.
    expect(await page.locator('button[data-action="resume"]').count()).toBe(0);

    await page.click('button[data-action="pause"]');
    await page.fill('.pause-form input[name="pauseNote"]', 'waiting for the new API key');
    await page.click('button[data-action="pause-confirm"]');
    await page.locator('.job-head h1 .badge[data-status="PAUSED"]').waitFor();
    expect(await page.locator('.controls-block .ok-note').innerText()).toBe('Pause: the job is paused. Note: “waiting for the new API key”.');
    expect(await page.locator('.paused-note').innerText()).toContain('waiting for the new API key');
    // The status history has the pause, with its note; a paused job has no next run to read as due.
    const pausedEntry = page.locator('ol.history li[data-event="paused"]');
    await pausedEntry.waitFor();
    expect(await pausedEntry.innerText()).toMatch(/paused.*paused by hand: .?waiting for the new API key/s);
    expect(await page.locator('[data-next-run="paused"]').innerText()).toMatch(/^none while paused/);
    expect((await getJson<{ status: string }>('/jobs/dashboard-pause')).status).toBe('PAUSED');
    expect(await page.locator('button[data-action="pause"]').count()).toBe(0);

    await page.click('button[data-action="resume"]');
    await page.locator('.job-head h1 .badge[data-status="SCHEDULED"]').waitFor();
    expect(await page.locator('.controls-block .ok-note').innerText()).toBe('Resume: the job is scheduled.');
    const resumedEntry = page.locator('ol.history li[data-event="resumed"]');
    await resumedEntry.waitFor();
    expect(await resumedEntry.locator('.badge').getAttribute('data-status')).toBe('SCHEDULED');
    // A confirmation goes once the job leaves the status it confirmed: paused again by someone else, "scheduled" would be stale.
    expect((await post('/jobs/dashboard-pause/pause', {})).status).toBe(200);
    await page.locator('.job-head h1 .badge[data-status="PAUSED"]').waitFor();
    expect(await page.locator('.controls-block .ok-note').count()).toBe(0);
    expect((await post('/jobs/dashboard-pause/resume', {})).status).toBe(200);
    await page.locator('.job-head h1 .badge[data-status="SCHEDULED"]').waitFor();
    expect(await page.locator('.paused-note').count()).toBe(0);
    expect((await getJson<{ status: string }>('/jobs/dashboard-pause')).status).toBe('SCHEDULED');
    expect(await page.locator('button[data-action="pause"]').isEnabled()).toBe(true);
    await page.close();
  }, 30_000);

  it('shows the runs missed while a job was paused as one skipped range with its reason', async () => {
    // Daily at a day a second: paused after its first run for about three days, then resumed with
    // catchUp "skip", the runs whose time passed are recorded as one SKIPPED item.
    const id = 'dashboard-skip';
    const created = await post('/jobs', { id, startDateTime: daysAhead(1), frequency: { days: 1 }, maxRuns: 30, catchUp: 'skip', action: { type: 'message', text: 'tick' } });
    expect(created.status).toBe(201);
    const deadline = Date.now() + 10_000;
    while ((await getJson<{ progress: { completedRuns: number } }>(`/jobs/${id}`)).progress.completedRuns < 1) {
      if (Date.now() > deadline) throw new Error('the first run did not happen');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await post(`/jobs/${id}/pause`, {})).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3_200));
    expect((await post(`/jobs/${id}/resume`, {})).status).toBe(200);

    const page = await open(`#/jobs/${id}`);
    const skipped = page.locator('.timeline .run.state-skipped');
    await skipped.first().waitFor({ timeout: 10_000 });
    const detail = await getJson<{ progress: { skippedRuns: number; steps: Array<{ state: string; iteration: number; skippedThrough?: number; skipReason?: string }> } }>(`/jobs/${id}`);
    const step = detail.progress.steps.find((s) => s.state === 'SKIPPED');
    expect(step).toBeDefined();
    expect(step?.skipReason).toBe('missed');
    const from = step!.iteration;
    const through = step!.skippedThrough!;
    expect(through).toBeGreaterThan(from);

    const item = page.locator(`.timeline .run.state-skipped[data-iteration="${from}"]`);
    expect(await item.getAttribute('data-skipped-through')).toBe(String(through));
    expect(await item.locator('.run-head strong').innerText()).toBe(`Runs ${from + 1}–${through + 1}`);
    expect(await item.locator('.badge').innerText()).toBe('skipped: missed');
    expect(await item.locator('.run-skip').innerText()).toContain('catch-up policy');
    // A skipped range has no start, duration or attempts of its own to show.
    expect(await item.locator('dt').allInnerTexts()).toEqual(['recorded']);
    // The skipped item and the job's counter are two writes the page may have read between: it shows the
    // count once a refresh (every 2 s) has read the job after both.
    await page.locator('.page-job .progress-text', { hasText: `${detail.progress.skippedRuns} skipped` }).first().waitFor({ timeout: 10_000 });
    await page.close();
    await fetch(`${runtime.url}/jobs/${id}`, { method: 'DELETE' });
  }, 30_000);

  it('lists for a paused job what runs on resume (the runs its catch-up passes over counted apart), the pause note from the job view, and sorts it after due jobs', async () => {
    // Weekly from a warped day ahead, paused at once with a note: run 1's time passes while paused, run 2's is a week off.
    const id = 'dashboard-missed';
    expect((await post('/jobs', { id, startDateTime: daysAhead(1), frequency: { days: 7 }, maxRuns: 10, catchUp: 'skip', action: { type: 'message', text: 'tick' } })).status).toBe(201);
    expect((await post(`/jobs/${id}/pause`, { note: 'office closed until Monday' })).status).toBe(200);
    const deadline = Date.now() + 10_000;
    while ((await getJson<{ passedOver: unknown }>(`/jobs/${id}/upcoming?count=5`)).passedOver === null) {
      if (Date.now() > deadline) throw new Error('the first run was never passed over');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // A fresh page: the note can only come from the job view, not from a pause this page made.
    const page = await open(`#/jobs/${id}`);
    const rows = page.locator('table.upcoming tbody tr');
    await rows.first().waitFor();
    expect(await page.locator('.paused-note').innerText()).toContain('office closed until Monday');
    // catchUp skip: run 1 will not run on resume, so it is not listed as upcoming; run 2 is the next.
    expect(await page.locator('.passed-over-note').innerText()).toMatch(/^Run 1 will not run: .* catch-up policy skip passes it over/);
    expect(await rows.first().getAttribute('data-iteration')).toBe('1');
    expect(await rows.first().getAttribute('data-missed')).toBe('false');
    expect(await page.locator('table.upcoming tbody tr[data-missed="true"]').count()).toBe(0);
    expect(await page.locator('.card h2', { hasText: 'Upcoming runs, once resumed' }).count()).toBe(1);
    // The execution the pause stopped is not "current".
    const latest = page.locator('ol.executions li').last();
    await latest.waitFor();
    expect(await latest.locator('.badge').innerText()).toBe('stopped: paused');

    // In the list, its next run (now past) neither sorts it before going jobs nor reads as due.
    await page.goto(`${runtime.url}/#/`);
    const row = page.locator(`.job-row[data-job-id="${id}"]`);
    await row.waitFor();
    expect(await row.locator('.job-next').innerText()).toMatch(/paused/);
    const order = await page.locator('.job-row').evaluateAll((els) => els.map((el) => ({ id: el.getAttribute('data-job-id'), attention: el.classList.contains('needs-attention'), next: el.querySelector('.job-next .zoned time')?.getAttribute('datetime') ?? null })));
    const at = order.findIndex((entry) => entry.id === id);
    expect(order[at]?.next).toBeNull();
    const goingAfter = order.slice(at + 1).filter((entry) => !entry.attention && entry.next !== null);
    expect(goingAfter).toEqual([]);
    await page.close();
    await fetch(`${runtime.url}/jobs/${id}`, { method: 'DELETE' });
  }, 30_000);

  it('runs a message job now from its page: one triggered run, listed apart, the live runs untouched', async () => {
    const id = 'dashboard-trigger';
    expect((await post('/jobs', { id, startDateTime: daysAhead(3650), action: { type: 'message', text: 'now please' } })).status).toBe(201);
    const before = await getJson<JobWithExtras>(`/jobs/${id}`);
    const page = await open(`#/jobs/${id}`);
    const keys: string[] = [];
    page.on('request', (sent) => {
      if (sent.method() === 'POST' && sent.url().endsWith(`/jobs/${id}/trigger`)) keys.push(sent.headers()['idempotency-key'] ?? '(none)');
    });
    await page.locator('.card.extras').waitFor();
    expect(await page.locator('.extra-request').count()).toBe(0);

    await page.click('button[data-action="trigger"]');
    await page.fill('.trigger-form input[name="triggerNote"]', 'checking the new key');
    // Submitted twice in one go (a double Enter): one request, run once.
    await page.locator('.trigger-form').evaluate((form) => {
      const submit = form as unknown as { requestSubmit(): void };
      submit.requestSubmit();
      submit.requestSubmit();
    });
    const answer = page.locator('.controls-block .ok-note');
    await answer.waitFor();
    // The API's answer, said as what was asked (its state is in the list, and moves on).
    const requestId = (await answer.getAttribute('data-request-id')) ?? '';
    expect(requestId).not.toBe('');
    expect(await answer.innerText()).toBe(`Run now: request ${requestId} started, 1 run outside the schedule. Note: “checking the new key”.`);
    expect(await page.locator('.trigger-form').count()).toBe(0);

    // …then SUCCEEDED in the list, with its one run.
    const item = page.locator(`.extra-request[data-request-id="${requestId}"]`);
    await page.locator(`.extra-request[data-request-id="${requestId}"][data-state="SUCCEEDED"]`).waitFor({ timeout: 10_000 });
    expect(await item.getAttribute('data-kind')).toBe('trigger');
    expect(await item.locator('.request-head .badge.run-state').innerText()).toBe('succeeded');
    expect(await item.locator('.extra-note q').innerText()).toBe('checking the new key');
    expect(await item.locator('.progress-text').innerText()).toContain('1 of 1 runs');
    const runs = item.locator('.extra-run');
    expect(await runs.count()).toBe(1);
    expect(await runs.first().getAttribute('data-kind')).toBe('trigger');
    expect(await runs.first().locator('.run-head').innerText()).toMatch(/^Triggered run\s+Message\s+succeeded$/);
    expect(await runs.first().locator('.run-result').innerText()).toMatch(/^message \S+ · channel default$/);
    // The live runs: still none, on the page and in the API.
    expect(await page.locator('.timeline').count()).toBe(0);
    expect(await page.locator('.card h2', { hasText: /^Runs, newest first \(/ }).innerText()).toBe('Runs, newest first (0 of 1 shown)');

    const after = await getJson<JobWithExtras>(`/jobs/${id}`);
    expect(after.progress).toEqual(before.progress);
    expect(after.progress.steps).toEqual([]);
    expect(after.nextRunAt).toBe(before.nextRunAt);
    expect(after.status).toBe('SCHEDULED');
    expect(after.extraRequests).toEqual([expect.objectContaining({ requestId, kind: 'trigger', state: 'SUCCEEDED', note: 'checking the new key', runs: { total: 1, completed: 1, failed: 0 } })]);
    expect(after.extraRuns).toEqual([expect.objectContaining({ requestId, kind: 'trigger', iteration: null, state: 'SUCCEEDED', action: 'Message' })]);
    // Every POST of that submission carried the one random key it was armed with.
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(UUID);

    // Another click is another request, under a new key.
    const sent = keys.length;
    await page.click('button[data-action="trigger"]');
    await page.click('button[data-action="trigger-confirm"]');
    await page.locator('.extra-request').nth(1).waitFor({ timeout: 10_000 });
    expect(keys.length).toBe(sent + 1);
    expect(keys.at(-1)).toMatch(UUID);
    expect(keys.at(-1)).not.toBe(keys[0]);
    expect((await getJson<JobWithExtras>(`/jobs/${id}`)).extraRequests).toHaveLength(2);
    await page.close();
  }, 30_000);

  it('backfills a past range from its page: its runs in order, each with the iteration it stands for', async () => {
    // Weekly from 40 days before the scheduler's now, catchUp "skip": the live schedule passes the past runs over.
    const id = 'dashboard-backfill';
    const now = await schedulerNow();
    const start = Math.floor((now - 40 * DAY) / 1000) * 1000;
    const week = 7 * DAY;
    const created = await post('/jobs', { id, timeZone: 'UTC', startDateTime: new Date(start).toISOString(), frequency: { days: 7 }, maxRuns: 100, catchUp: 'skip', action: { type: 'message', text: 'tick' } });
    expect(created.status).toBe(201);

    const page = await open(`#/jobs/${id}`);
    await page.click('button[data-action="backfill"]');
    // From an hour before the first run to its fourth: runs 1-4 (iterations 0-3).
    await page.fill('#bf-from', utcLocal(start - 3_600_000));
    await page.fill('#bf-to', utcLocal(start + 3 * week));
    await page.click('button[data-action="backfill-confirm"]');
    const answer = page.locator('.backfill .ok-note');
    await answer.waitFor({ timeout: 10_000 });
    expect(await answer.innerText()).toMatch(/^Backfill: request \S+ started, 4 runs \(runs 1–4, .+ UTC\) outside the schedule\.$/);
    expect(await page.locator('.backfill-form').count()).toBe(0);

    const item = page.locator('.extra-request[data-kind="backfill"]');
    await page.locator('.extra-request[data-kind="backfill"][data-state="SUCCEEDED"]').waitFor({ timeout: 10_000 });
    expect(await item.locator('.request-head strong').innerText()).toBe('Runs 1–4');
    expect(await item.locator('.progress-text').innerText()).toContain('4 of 4 runs');
    const runs = item.locator('.extra-run');
    expect(await runs.evaluateAll((items) => items.map((li) => li.getAttribute('data-iteration')))).toEqual(['0', '1', '2', '3']);
    expect(await runs.locator('.run-head strong').allInnerTexts()).toEqual(['Run 1', 'Run 2', 'Run 3', 'Run 4']);
    const planned = await runs.evaluateAll((items) => items.map((li) => li.querySelector('time')?.getAttribute('datetime') ?? ''));
    expect(planned.map((at) => Date.parse(at))).toEqual([0, 1, 2, 3].map((n) => start + n * week));

    const detail = await getJson<JobWithExtras>(`/jobs/${id}`);
    const request = detail.extraRequests.find((r) => r.kind === 'backfill');
    expect(request).toMatchObject({ state: 'SUCCEEDED', iterations: { first: 0, last: 3 }, runs: { total: 4, completed: 4, failed: 0 } });
    expect(Date.parse(request!.from!)).toBe(start - 3_600_000);
    expect(Date.parse(request!.to!)).toBe(start + 3 * week);
    const ran = detail.extraRuns.filter((run) => run.requestId === request!.requestId).sort((a, b) => a.index - b.index);
    expect(ran.map((run) => run.iteration)).toEqual([0, 1, 2, 3]);
    // The live runs 1-4 stay passed over: the backfill's runs are not among the steps.
    expect(detail.progress.steps.filter((step) => step.iteration <= 3 && step.state !== 'SKIPPED')).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(1280);
    await page.close();
    await fetch(`${runtime.url}/jobs/${id}`, { method: 'DELETE' });
  }, 30_000);

  it("shows the API's refusal of a backfill reaching into the future at the to input, and starts nothing", async () => {
    const id = 'dashboard-backfill-future';
    expect((await post('/jobs', { id, timeZone: 'UTC', startDateTime: daysAhead(-10), frequency: { days: 7 }, maxRuns: 100, catchUp: 'skip', action: { type: 'message', text: 'tick' } })).status).toBe(201);
    const page = await open(`#/jobs/${id}`);
    await page.click('button[data-action="backfill"]');
    const now = await schedulerNow();
    const body = { from: utcLocal(now - 9 * DAY), to: utcLocal(now + 5 * DAY) };
    await page.fill('#bf-from', body.from);
    await page.fill('#bf-to', body.to);
    await page.click('button[data-action="backfill-confirm"]');
    const error = page.locator('[data-field="to"] .field-error');
    await error.waitFor();

    // The same range straight to the API: refused at "to", with the message the page shows (bar the clock it quotes).
    const refused = (await (await post(`/jobs/${id}/backfill`, { from: `${body.from}Z`, to: `${body.to}Z` })).json()) as { error: { field: string; message: string } };
    expect(refused.error.field).toBe('to');
    // The page says the API's instants in the job's zone and names it; no raw ISO-8601 is left.
    const shown = await error.innerText();
    const clockless = (text: string) => text.replace(/\(now is [^)]*\)/, '(now is …)');
    expect(clockless(shown)).toBe(`${clockless(refused.error.message)} (times in UTC)`);
    expect(shown).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    expect(shown).toMatch(/^to: must not be in the future/);
    expect(await page.locator('#bf-to').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#bf-from').getAttribute('aria-invalid')).toBeNull();
    expect(await page.locator('.field-error').count()).toBe(1);
    expect(await page.locator('.backfill .ok-note').count()).toBe(0);
    expect(await page.locator('.extra-request').count()).toBe(0);
    expect((await getJson<JobWithExtras>(`/jobs/${id}`)).extraRequests).toEqual([]);
    await page.close();
    await fetch(`${runtime.url}/jobs/${id}`, { method: 'DELETE' });
  }, 30_000);

  it('offers a report workflow Run now (an interim report) but no backfill, and says why', async () => {
    const id = 'dashboard-workflow-extras';
    expect((await post('/jobs', { id, startDateTime: daysAhead(3650), endDateTime: daysAhead(3656) })).status).toBe(201);
    const page = await open(`#/jobs/${id}`);
    await page.locator('.card.extras').waitFor();
    expect(await page.locator('button[data-action="backfill"]').count()).toBe(0);
    expect(await page.locator('.backfill-form, #bf-from, #bf-to').count()).toBe(0);
    expect(await page.locator('.card.extras .backfill-off').innerText()).toMatch(/^No backfill for a report workflow: .*build on each other/);
    // The API agrees: a workflow's backfill is refused, naming the job.
    const refused = (await (await post(`/jobs/${id}/backfill`, { from: daysAhead(-2), to: daysAhead(-1) })).json()) as { error: { field: string } };
    expect(refused.error.field).toBe('id');

    await page.click('button[data-action="trigger"]');
    expect(await page.locator('.trigger-form .hint').innerText()).toContain('interim report');
    await page.click('button[data-action="trigger-confirm"]');
    const run = page.locator('.extra-request[data-kind="trigger"][data-state="SUCCEEDED"] .extra-run');
    await run.waitFor({ timeout: 10_000 });
    expect(await run.locator('.run-action').innerText()).toBe('Report Generation');
    expect((await getJson<JobWithExtras>(`/jobs/${id}`)).progress.steps).toEqual([]);
    await page.close();
  }, 30_000);

  it('lays the jobs list out within a 390 px wide phone screen', async () => {
    for (const id of ['phone-a-rather-long-job-identifier-that-has-to-wrap-somewhere-0123456789', 'phone-b']) {
      const body = { id, startDateTime: '2030-01-01T09:00:00+01:00', frequency: { days: 1 }, endDateTime: '2030-02-01T09:00:00+01:00', timeZone: 'Europe/Paris' };
      expect((await post('/jobs', body)).status).toBe(201);
    }
    const page = await open('', { width: 390, height: 844 });
    await page.locator('.job-row[data-job-id="phone-b"]').waitFor();

    const widths = () => page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(await widths()).toEqual({ scroll: 390, client: 390 });

    // The form with its scheduling options open, and a job page with every option set, fit as well.
    await page.goto(`${runtime.url}/#/new`);
    await page.check('input[name="kind"][value="webhook"]');
    await page.check('input[name="timing"][value="expression"]');
    await page.click('details.options > summary');
    await page.locator('#f-tags').waitFor();
    expect(await widths()).toEqual({ scroll: 390, client: 390 });
    const body = { id: 'phone-options', startDateTime: '2030-01-01T09:00:00Z', scheduleExpression: 'cron(15 10 ? * 2-6 *)', maxRuns: 500, flexibleWindowMinutes: 90, catchUp: 'all', catchUpWindowMinutes: 10080, overlap: 'allow', retentionDays: 3650, group: 'a-group-with-a-long-name-0123456789', tags: ['a:very.long=tag-that-must-wrap-0123456789', 'b'], action: { type: 'message', text: 'hi' } };
    expect((await post('/jobs', body)).status).toBe(201);
    await page.goto(`${runtime.url}/#/jobs/phone-options`);
    await page.locator('.page-job [data-option="tags"]').waitFor();
    expect(await widths()).toEqual({ scroll: 390, client: 390 });
    // The upcoming table's four columns, "your time" last, fit without a sideways scroll.
    const upcoming = page.locator('table.upcoming');
    await upcoming.waitFor();
    const fit = await upcoming.evaluate((table) => ({ table: table.scrollWidth, wrap: (table.parentElement as HTMLElement).clientWidth }));
    expect(fit.table).toBeLessThanOrEqual(fit.wrap);
    expect(await upcoming.locator('thead th').last().textContent()).toBe('your time (Europe/Berlin)');
    await page.click('button[data-action="pause"]');
    await page.locator('.pause-form').waitFor();
    expect(await widths()).toEqual({ scroll: 390, client: 390 });
    // Run now with a long note, its request listed, and the backfill form showing a refusal, fit too.
    await page.click('button[data-action="trigger"]');
    await page.fill('.trigger-form input[name="triggerNote"]', 'a-note-without-any-space-that-has-to-wrap-somewhere-0123456789-0123456789');
    expect(await widths()).toEqual({ scroll: 390, client: 390 });
    await page.click('button[data-action="trigger-confirm"]');
    await page.locator('.extra-request .extra-run').waitFor({ timeout: 10_000 });
    await page.click('button[data-action="backfill"]');
    await page.fill('#bf-to', '2099-01-01T00:00:00');
    await page.click('button[data-action="backfill-confirm"]');
    await page.locator('[data-field="to"] .field-error').waitFor();
    expect(await widths()).toEqual({ scroll: 390, client: 390 });
    await page.close();
  }, 30_000);

  it('shows a job whose every run failed as failed, in the list first and on its page, with the error', async () => {
    const start = daysAhead(0.1);
    expect((await post('/jobs', { id: 'all-refused', startDateTime: start, endDateTime: daysAhead(2.1), frequency: { days: 1 }, action: { type: 'webhook', url: `${hook}/refused` } })).status).toBe(201);
    await waitForStatus('all-refused', 'COMPLETED');

    const page = await open('#/');
    const row = page.locator('.job-row[data-job-id="all-refused"]');
    await row.waitFor();
    expect(await row.getAttribute('data-outcome')).toBe('failed');
    expect(await row.locator('.badge[data-outcome="failed"]').textContent()).toBe('failed');
    // The last run counted failed (on a loaded machine the catch-up policy may have skipped the ones before).
    expect(await row.locator('.last-run').textContent()).toMatch(/run \d failed .*404/);
    // Failures come first.
    expect(await page.locator('.job-row').first().getAttribute('class')).toContain('needs-attention');
    await page.click('button[data-filter="attention"]');
    await page.waitForURL(/attention=1/);
    await row.waitFor();
    expect(await page.locator('.job-row:not(.needs-attention)').count()).toBe(0);

    await page.goto(`${runtime.url}/#/jobs/all-refused`);
    const callout = page.locator('[data-all-failed]');
    await callout.waitFor();
    expect(await callout.textContent()).toMatch(/Every run failed.*404/s);
    expect(await page.locator('.job-head .badge[data-outcome="failed"]').count()).toBe(1);
    // The bar paints no failed run as progress.
    expect(await page.locator('.page-job .progress').first().getAttribute('aria-valuenow')).toBe('0');
    await page.close();
  }, 30_000);

  it('shows each attempt of a retried run with its error', async () => {
    expect((await post('/jobs', { id: 'flaky-once', startDateTime: daysAhead(0.05), action: { type: 'webhook', url: `${hook}/flaky` } })).status).toBe(201);
    await waitForStatus('flaky-once', 'COMPLETED');

    const page = await open('#/jobs/flaky-once');
    const attempts = page.locator('.run[data-iteration="0"] details.attempts');
    await attempts.waitFor();
    await attempts.locator('summary').click();
    const items = attempts.locator('.attempt');
    expect(await items.count()).toBe(3);
    expect(await items.nth(0).textContent()).toMatch(/attempt 1.*failed.*TransientError.*503/s);
    expect(await items.nth(1).textContent()).toMatch(/attempt 2.*failed.*TransientError.*503/s);
    expect(await items.nth(2).textContent()).toMatch(/attempt 3.*succeeded/s);
    await page.close();
  }, 30_000);

  it('shows an execution’s history and colours the drawing by it; a click on a state shows its input', async () => {
    const page = await open('#/jobs/flaky-once');
    const events = page.locator('table.events tbody tr');
    await events.first().waitFor();
    expect(await page.locator('.execution-detail').getAttribute('data-execution-status')).toBe('SUCCEEDED');
    expect(await page.locator('table.events tr[data-event-type="LambdaFunctionFailed"]').count()).toBe(2);
    expect(await page.locator('g.asl-node[data-state="RunStep"]').getAttribute('data-outcome')).toBe('succeeded');
    expect(await page.locator('g.asl-node[data-state="JobFailed"]').getAttribute('data-outcome')).toBeNull();
    expect(await page.locator('path.asl-edge.is-taken').count()).toBeGreaterThan(3);
    await page.click('g.asl-node[data-state="RunStep"]');
    const detail = page.locator('[data-state-detail="RunStep"]');
    await detail.waitFor();
    expect(await detail.textContent()).toMatch(/2 failed attempts/);
    // Every text of the drawing is at least 12 px on screen, at a desktop and at a phone's width.
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const smallest = await page.locator('figure.asl svg text').evaluateAll((texts) => Math.min(...texts.map((t) => (t as SVGTextElement).getBoundingClientRect().height)));
      const fontPx = await page.locator('figure.asl svg').evaluate((svg) => {
        const scale = svg.getBoundingClientRect().width / (svg as SVGSVGElement).viewBox.baseVal.width;
        return Math.min(...Array.from(svg.querySelectorAll('text')).map((t) => parseFloat(getComputedStyle(t).fontSize) * scale));
      });
      expect(smallest).toBeGreaterThan(0);
      expect(fontPx).toBeGreaterThanOrEqual(11.99);
    }
    await page.close();
  }, 30_000);

  it('shows a forever job by runs done and its last run (no 0 % bar), its runs newest first with older ones a click away', async () => {
    // Every minute at a day a second: 50+ runs in a few seconds; catchUp "all" so a loaded machine skips none.
    const id = 'dashboard-forever';
    expect((await post('/jobs', { id, startDateTime: daysAhead(0.01), frequency: { minutes: 1 }, forever: true, catchUp: 'all', action: { type: 'message', text: 'tick' } })).status).toBe(201);
    const deadline = Date.now() + 45_000;
    while ((await getJson<{ progress: { completedRuns: number } }>(`/jobs/${id}`)).progress.completedRuns < 55) {
      if (Date.now() > deadline) throw new Error('55 runs did not happen');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await post(`/jobs/${id}/pause`, {});

    const page = await open('#/');
    const row = page.locator(`.job-row[data-job-id="${id}"]`);
    await row.waitFor();
    expect(await row.locator('[role="progressbar"]').count()).toBe(0);
    expect(await row.locator('.progress-block[data-open-ended="true"]').innerText()).toMatch(/\d+ runs done.*last run succeeded/s);
    expect(await row.locator('.last-run').innerText()).toMatch(/run [\d,]+ succeeded\s.*ago/s);

    await page.goto(`${runtime.url}/#/jobs/${id}`);
    const items = page.locator('.timeline > li.run');
    await items.first().waitFor();
    const order = async () => items.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-iteration'))));
    const first = await order();
    expect(first).toHaveLength(50);
    expect(first).toEqual([...first].sort((a, b) => b - a));
    await page.click('button[data-action="older-runs"]');
    await page.waitForFunction(() => document.querySelectorAll('.timeline > li.run').length > 50);
    const all = await order();
    // The older page follows on: still newest first, every run of it older than the first page's.
    expect(all.slice(0, 50)).toEqual(first);
    expect(all).toEqual([...all].sort((a, b) => b - a));
    expect(new Set(all).size).toBe(all.length);
    await page.close();
    await fetch(`${runtime.url}/jobs/${id}`, { method: 'DELETE' });
  }, 60_000);

  it('on a phone, brings the field a refused submit names into view below the sticky header', async () => {
    const page = await open('#/new', { width: 390, height: 844 });
    await page.fill('#f-id', 'phone-bad-zone');
    await page.fill('#f-timeZone', 'Mars/Olympus_Mons');
    await page.locator('form.submit-form button[type=submit]').scrollIntoViewIfNeeded();
    await page.click('form.submit-form button[type=submit]');
    await page.locator('[data-field="timeZone"] .field-error').waitFor();
    await page.waitForTimeout(200);
    const box = await page.evaluate(() => {
      const header = document.querySelector('.topbar')!.getBoundingClientRect();
      const field = document.querySelector('[data-field="timeZone"]')!.getBoundingClientRect();
      return { headerBottom: header.bottom, top: field.top, bottom: field.bottom, focused: document.activeElement?.id ?? '' };
    });
    expect(box.top).toBeGreaterThanOrEqual(box.headerBottom);
    expect(box.bottom).toBeLessThanOrEqual(844);
    expect(box.focused).toBe('f-timeZone');
    await page.close();
  }, 30_000);

  it('says numbers and run results as a reader would', async () => {
    const page = await open('#/stats');
    const span = page.locator('[data-figure="polling-span"]');
    await span.waitFor();
    // "15.2 days", "6 h", never "15.2345 days"; a percentage without decimals past the first; no "0 ms" run time.
    expect(await span.innerText()).toMatch(/^(\d[\d,]*(\.\d)? days?|\d+ (h|min|s|ms)( \d+ (min|s))?)$/);
    expect(await page.locator('.cost-verdict').innerText()).not.toMatch(/\d\.\d\d+ %/);
    expect(await page.locator('.page-stats').innerText()).not.toMatch(/(^|\D)0 ms/);
    await page.goto(`${runtime.url}/#/jobs/flaky-once`);
    const result = page.locator('.run[data-iteration="0"] .run-result');
    await result.waitFor();
    // The webhook's statusCode and latencyMs as "HTTP 200 · took 12 ms", no camelCase key.
    expect(await result.innerText()).toMatch(/HTTP 200/);
    expect(await result.innerText()).not.toMatch(/[a-z][A-Z]/);
    await page.close();
  }, 30_000);

  it('stops asking for a job that answers 404, and shows the API down with a red dot and the last answer', async () => {
    const page = await open('#/jobs/no-such-job');
    let asked = 0;
    page.on('request', (request) => {
      if (/\/jobs\/no-such-job(\/upcoming)?(\?|$)/.test(request.url())) asked += 1;
    });
    await page.locator('.error-note').first().waitFor();
    await page.waitForTimeout(500);
    asked = 0;
    await page.waitForTimeout(5_000);
    // Polled every 2 s on loopback, it would have asked 4-5 more times by now.
    expect(asked).toBe(0);

    const status = page.locator('.topbar-status');
    await page.locator('.topbar-status[data-api="up"]').waitFor({ timeout: 10_000 });
    await page.route('**/health', (route) => route.abort());
    await page.locator('.topbar-status[data-api="down"]').waitFor({ timeout: 15_000 });
    expect(await status.innerText()).toMatch(/API down; last answer .*ago/);
    const dot = await page.locator('.topbar-status .live-dot').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(dot).toBe('rgb(214, 51, 108)');
    await page.close();
  }, 40_000);

  it('has no serious or critical accessibility violations (axe-core) on the jobs list, a failed job, the stats and the form', async () => {
    const axe = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    const found: string[] = [];
    for (const [hash, ready] of [
      ['#/', '.job-row'],
      ['#/jobs/all-refused', '[data-all-failed]'],
      ['#/stats', '.card'],
      ['#/new', '.page-new form'],
    ] as const) {
      const page = await open(hash);
      await page.locator(ready).first().waitFor();
      await page.waitForTimeout(300);
      await page.addScriptTag({ content: axe });
      const violations = await page.evaluate(async () => {
        const result = await (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown }> }> }> } }).axe.run(document, { resultTypes: ['violations'] });
        return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`);
      });
      found.push(...violations.map((v) => `${hash} ${v}`));
      await page.close();
    }
    expect(found).toEqual([]);
  }, 60_000);
});

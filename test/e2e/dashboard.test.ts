/**
 * The dashboard in a real browser: Debian's chromium, driven by playwright-core, against the local runtime
 * at a day a second, serving the page built from src/dashboard at start. Every step goes through the page
 * as a user would: the form, the jobs list, the job page.
 *
 * chromium is required, not optional: without /usr/bin/chromium every test here fails (`.ci/run` installs
 * it), so a machine that cannot run them says so instead of passing quietly.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startRuntime, type Runtime } from '../../src/local/runtime';

const CHROMIUM = '/usr/bin/chromium';
const DAY = 86_400_000;

let runtime: Runtime;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the dashboard tests need it (apt-get install -y --no-install-recommends chromium; .ci/run does this)`);
  }
  runtime = await startRuntime({ port: 0, memory: true, speed: 86_400 });
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
    await page.click('form.submit-form button[type=submit]');

    const row = page.locator('.job-row[data-job-id="dashboard-week"]');
    await row.waitFor();
    const bar = row.locator('[role=progressbar]');
    const seen = new Set<string>();
    const deadline = Date.now() + 40_000;
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
  }, 60_000);

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

  it('shows what the API answers to pause and resume, whatever it is', async () => {
    const far = new Date(runtime.clock.now().getTime() + 3650 * DAY).toISOString().slice(0, 19) + 'Z';
    expect((await post('/jobs', { id: 'dashboard-pause', startDateTime: far, action: { type: 'message', text: 'later' } })).status).toBe(201);
    const page = await open('#/jobs/dashboard-pause');

    for (const action of ['pause', 'resume']) {
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith(`/jobs/dashboard-pause/${action}`)),
        page.click(`button[data-action="${action}"]`),
      ]);
      const answer = (await response.json()) as { error?: { message: string } };
      const note = page.locator(response.ok() ? '.controls-block .ok-note' : '.controls-block .error-note');
      await note.waitFor();
      if (answer.error) expect(await note.innerText()).toContain(answer.error.message);
    }
    await page.close();
  }, 30_000);

  it('lays the jobs list out within a 390 px wide phone screen', async () => {
    for (const id of ['phone-a-rather-long-job-identifier-that-has-to-wrap-somewhere-0123456789', 'phone-b']) {
      const body = { id, startDateTime: '2030-01-01T09:00:00+01:00', frequency: { days: 1 }, endDateTime: '2030-02-01T09:00:00+01:00', timeZone: 'Europe/Paris' };
      expect((await post('/jobs', body)).status).toBe(201);
    }
    const page = await open('', { width: 390, height: 844 });
    await page.locator('.job-row[data-job-id="phone-b"]').waitFor();

    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.client).toBe(390);
    expect(widths.scroll).toBeLessThanOrEqual(390);
    await page.close();
  }, 30_000);
});

/**
 * `npx ts-node --transpile-only scripts/screenshot.ts [--out docs/dashboard.png] [--review DIR]`
 *
 * Writes the README's picture of the dashboard: the jobs page at 1280×800 in Debian's chromium, with a few
 * jobs that really ran on the local runtime. `--review DIR` also saves the job, stats and form pages at
 * 1280 px and the jobs and job pages at 390 px, for a look before committing.
 *
 * The runs are real; their history is compressed in two phases on one data folder so that the figures
 * read as they would on AWS (run durations are measured on the runtime's clock, so a fast clock inflates
 * the Lambda cost, and the polling comparison spans the time since the first job):
 * 1. waits skipped (speed 0): a 7-day report workflow and a 3-month month-end job run to their ends, one
 *    after the other, and the clock moves three months on;
 * 2. ten minutes a second (speed 600), carrying on from that clock: jobs starting in the next minutes
 *    make their first runs while the page is photographed, and one job is stopped.
 * A loopback webhook receiver makes the failures an operator looks for: a job whose every call is refused
 * (404), and a flaky one whose calls succeed on the second attempt (503 first).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { zonedToIso } from '../src/dashboard/format';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

const CHROMIUM = '/usr/bin/chromium';
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

interface JobView {
  status: string;
  progress: { completedRuns: number };
}

async function call<T>(base: string, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An instant as the API wants it: ISO-8601 UTC in whole seconds. */
function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The date `ms` falls on (UTC) at the given wall time, read in `zone`, as ISO-8601 with the zone's offset. */
function at(ms: number, wall: string, zone: string): string {
  return zonedToIso(`${new Date(ms).toISOString().slice(0, 10)}T${wall}`, zone);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, review: { type: 'string' } } });
  const out = path.resolve(values.out ?? 'docs/dashboard.png');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'dashboard-shot-'));
  const { startRuntime } = await import('../src/local/runtime');
  let browser: Browser | undefined;
  let runtime: Awaited<ReturnType<typeof startRuntime>> | undefined;
  // The webhook receiver: /refused answers 404 always; /flaky 503 to every first call of a run, then 200.
  const seen = new Set<string>();
  const receiver = http.createServer((req, res) => {
    req.resume();
    const key = String(req.headers['idempotency-key'] ?? '');
    if (req.url === '/refused') return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found","message":"no such hook"}');
    if (req.url === '/flaky' && !seen.has(key)) {
      seen.add(key);
      return void res.writeHead(503).end('busy');
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  try {
    // Phase 1: a week-long report workflow and a quarter of month-ends, run to their ends with the waits
    // skipped — one after the other, as the clock jumps to whichever run is waited for.
    runtime = await startRuntime({ port: 0, dataDir, speed: 0, resume: false, allowHosts: '127.0.0.1' });
    const base1 = runtime.url;
    const t0 = Math.ceil((runtime.clock.now().getTime() + 60_000) / 60_000) * 60_000;
    const finished = [
      {
        id: 'weekly-report',
        startDateTime: iso(t0),
        endDateTime: iso(t0 + 6 * DAY),
        frequency: { days: 1 },
        config: { reportType: 'weekly', dataSource: 'sample:analytics', notifyEmail: 'ops@example.com' },
      },
      {
        id: 'month-end-close',
        startDateTime: at(t0 + 8 * DAY, '17:00', 'Europe/London'),
        endDateTime: at(t0 + 100 * DAY, '17:00', 'Europe/London'),
        frequency: { months: 1 },
        timeZone: 'Europe/London',
        action: { type: 'message', text: 'Month-end close starts now', channel: 'finance' },
      },
      {
        id: 'partner-sync',
        startDateTime: iso(t0 + 101 * DAY),
        endDateTime: iso(t0 + 106 * DAY),
        frequency: { days: 1 },
        action: { type: 'webhook', url: `${hook}/refused` },
        group: 'partners',
      },
      {
        id: 'flaky-ping',
        startDateTime: iso(t0 + 107 * DAY),
        endDateTime: iso(t0 + 109 * DAY),
        frequency: { days: 1 },
        action: { type: 'webhook', url: `${hook}/flaky` },
      },
    ];
    for (const job of finished) {
      await call(base1, 'POST', '/jobs', job);
      await until(job.id, async () => (await call<JobView>(base1, 'GET', `/jobs/${job.id}`)).status === 'COMPLETED');
    }
    await runtime.close();

    // Phase 2: ten minutes a second, from where phase 1 left the clock.
    runtime = await startRuntime({ port: 0, dataDir, speed: 600, resume: false, allowHosts: '127.0.0.1' });
    const base = runtime.url;
    const now = Math.ceil(runtime.clock.now().getTime() / 60_000) * 60_000;
    const jobs = [
      {
        id: 'hourly-export',
        startDateTime: iso(now + 5 * MINUTE),
        endDateTime: iso(now + 5 * MINUTE + 5 * HOUR),
        frequency: { hours: 1 },
        timeZone: 'Asia/Tokyo',
        action: { type: 'message', text: 'export ready', channel: 'ops' },
      },
      {
        id: 'sales-monthly',
        startDateTime: iso(now + 60 * MINUTE),
        endDateTime: iso(now + 60 * MINUTE + 365 * DAY),
        frequency: { months: 1 },
        timeZone: 'America/New_York',
        config: { reportType: 'monthly', dataSource: 'sample:sales' },
      },
      {
        id: 'digest-berlin',
        startDateTime: iso(now + 30 * MINUTE),
        endDateTime: iso(now + 30 * MINUTE + 30 * DAY),
        frequency: { days: 1 },
        timeZone: 'Europe/Berlin',
        action: { type: 'message', text: 'Good morning: yesterday’s numbers are in', channel: 'team' },
      },
      {
        id: 'standup-berlin',
        startDateTime: iso(now + 2 * MINUTE),
        forever: true,
        scheduleExpression: 'cron(0 9 ? * MON-FRI *)',
        timeZone: 'Europe/Berlin',
        action: { type: 'message', text: 'Stand-up in 5 minutes', channel: 'team' },
      },
      {
        // Paused after its first run: its page shows what runs on resume and the pause in its history.
        id: 'inventory-sync',
        startDateTime: iso(now + 3 * MINUTE),
        frequency: { minutes: 15 },
        maxRuns: 500,
        catchUp: 'skip',
        timeZone: 'America/New_York',
        action: { type: 'message', text: 'sync inventory', channel: 'ops' },
      },
      {
        id: 'quarter-close',
        startDateTime: iso(now + 20 * DAY),
        timeZone: 'Europe/London',
        action: { type: 'message', text: 'Quarter closes today' },
      },
    ];
    for (const job of jobs) await call(base, 'POST', '/jobs', job);
    await call(base, 'DELETE', '/jobs/quarter-close');
    const runsOf = async (id: string) => (await call<JobView>(base, 'GET', `/jobs/${id}`)).progress.completedRuns;
    await until('the first run of inventory-sync', async () => (await runsOf('inventory-sync')) >= 1);
    await call(base, 'POST', '/jobs/inventory-sync/pause', { note: 'supplier API migration, back Monday' });
    await until('the first runs of phase 2', async () => (await runsOf('hourly-export')) >= 3 && (await runsOf('sales-monthly')) >= 1 && (await runsOf('digest-berlin')) >= 1);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] });
    const shoot = async (width: number, height: number, hash: string, file: string, fullPage = false, element?: string) => {
      const page = await browser!.newPage({ viewport: { width, height }, locale: 'en-GB', timezoneId: 'Europe/Berlin', colorScheme: 'light' });
      await page.goto(`${base}/${hash}`);
      await page.locator('.job-row, .card').first().waitFor();
      // Let every poll of the page answer once, and the progress bars finish their transition.
      await page.waitForTimeout(1_200);
      await mkdir(path.dirname(file), { recursive: true });
      if (element) await page.locator(element).screenshot({ path: file });
      else await page.screenshot({ path: file, fullPage });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
      await page.close();
      process.stdout.write(`${path.relative(process.cwd(), file)}  ${width}×${height}${fullPage ? ' (full page)' : ''}  scrollWidth ${overflow}\n`);
    };
    await shoot(1280, 800, '', out);
    if (values.review) {
      const dir = path.resolve(values.review);
      await shoot(1280, 800, '#/jobs/partner-sync', path.join(dir, 'job-failed-1280.png'), true);
      await shoot(1280, 800, '#/jobs/flaky-ping', path.join(dir, 'job-retried-1280.png'), true);
      await shoot(390, 844, '#/jobs/partner-sync', path.join(dir, 'job-failed-390.png'), true);
      await shoot(1280, 800, '#/jobs/weekly-report', path.join(dir, 'job-1280.png'), true);
      await shoot(1280, 800, '#/jobs/sales-monthly', path.join(dir, 'job-running-1280.png'), true);
      await shoot(1280, 800, '#/jobs/hourly-export', path.join(dir, 'state-machine.png'), false, 'figure.asl');
      await shoot(1280, 800, '#/jobs/inventory-sync', path.join(dir, 'job-paused-1280.png'), true);
      await shoot(390, 844, '#/jobs/inventory-sync', path.join(dir, 'job-paused-390.png'), true);
      await shoot(1280, 800, '#/stats', path.join(dir, 'stats-1280.png'), true);
      await shoot(1280, 800, '#/new', path.join(dir, 'new-1280.png'), true);
      await shoot(390, 844, '', path.join(dir, 'jobs-390.png'), true);
      await shoot(390, 844, '#/jobs/weekly-report', path.join(dir, 'job-390.png'), true);
      await shoot(390, 844, '#/new', path.join(dir, 'new-390.png'), true);
    }
  } finally {
    await browser?.close();
    await runtime?.close();
    await new Promise((resolve) => receiver.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

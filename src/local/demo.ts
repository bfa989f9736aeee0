/**
 * `npm run demo`: the runtime in memory with waits skipped, mocks/job.json (the 7-day report workflow on
 * the generated 7,543-record sample with a few invalid records) submitted through the HTTP API, a progress
 * bar per run while it goes, then the final report and the job's cost estimate.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

// The API's JSON bodies: the demo reads the fields it prints and nothing else.
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const BAR = 28;
function bar(percentage: number): string {
  const filled = Math.round((percentage / 100) * BAR);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR - filled)} ${String(percentage).padStart(3)}%`;
}

function describeStep(step: Json): string {
  const r = step.result ?? {};
  if (step.state === 'FAILED') return `failed: ${step.error?.message ?? 'error'}`;
  if (step.phase === 'collection') return `${r.records} records collected (checksum ${String(r.checksum).slice(0, 12)}…)`;
  if (step.phase === 'processing') return `${r.recordsProcessed} records processed, ${r.errors} invalid`;
  if (step.phase === 'report') return `report generated, notification ${r.notificationId ?? 'sent'}`;
  return JSON.stringify(r);
}

async function main(): Promise<void> {
  const started = Date.now();
  const { startRuntime } = await import('./runtime');
  const runtime = await startRuntime({ port: 0, memory: true, speed: 0 });
  const api = async (method: string, route: string, body?: unknown): Promise<Json> => {
    const response = await fetch(`${runtime.url}${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Json;
    if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  };
  try {
    const job = JSON.parse(await readFile(path.join(__dirname, '../../mocks/job.json'), 'utf8')) as Json;
    job.id = `demo-${Date.now()}`;
    process.stdout.write(`step-scheduler demo: runtime at ${runtime.url} (in memory, waits skipped)\n`);
    process.stdout.write(`POST /jobs  ${job.id}: ${job.startDateTime} → ${job.endDateTime}, every ${JSON.stringify(job.frequency)}, data ${job.config.dataSource}\n\n`);
    const created = await api('POST', '/jobs', job);
    process.stdout.write(`  → ${created.status}, execution ${created.executionArn}\n\n`);

    let shown = 0;
    let view: Json;
    for (;;) {
      view = await api('GET', `/jobs/${job.id}`);
      const steps: Json[] = view.progress?.steps ?? [];
      for (; shown < steps.length && steps[shown].state !== 'STARTED'; shown++) {
        const step = steps[shown];
        const percentage = Math.round(((shown + 1) / (view.progress.totalRuns ?? steps.length)) * 100);
        process.stdout.write(`  Day ${shown + 1} ${step.phase.padEnd(10)} ${bar(percentage)}  ${describeStep(step)}\n`);
      }
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(view.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    process.stdout.write(`\nstatus ${view.status}\n`);
    const report = view.finalReport;
    if (report) {
      process.stdout.write(`\nfinal report (${report.reportType})\n`);
      process.stdout.write(`  total days ${report.summary.totalDays}, records processed ${report.summary.totalRecordsProcessed}, errors ${report.summary.totalErrors}, success rate ${report.summary.successRate}\n`);
      for (const day of report.dailyBreakdown) {
        process.stdout.write(`  day ${day.day}  ${day.type.padEnd(10)}  ${String(day.records).padStart(5)} records${day.errors === undefined ? '' : `, ${day.errors} errors`}\n`);
      }
    }
    const stats = await api('GET', '/stats');
    const sfn = stats.cost.stepFunctions;
    process.stdout.write(
      [
        '',
        'cost estimate (this runtime\'s jobs, priced as on AWS)',
        `  Step Functions design: ${sfn.stateTransitions} state transitions, ${sfn.lambdaInvocations} Lambda invocations, ${sfn.lambdaGbSeconds} GB-s → $${sfn.usd.total}`,
        `  one-minute polling over the same ${stats.cost.polling.days} days: ${stats.cost.polling.invocations} invocations → $${stats.cost.polling.usd.total}`,
        `  prices: ${stats.cost.prices.note}`,
        '',
        `done in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        '',
      ].join('\n'),
    );
  } finally {
    await runtime.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

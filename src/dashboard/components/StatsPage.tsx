/** `GET /stats`: the figures, and the cost of this design against a one-minute polling executor. */
import { Fragment } from 'preact';
import { request } from '../api';
import { daysText, formatNumber, formatRunTime, formatUsd, percentText } from '../format';
import { usePoll } from '../hooks';
import type { Stats } from '../types';
import { Card, ErrorNote } from './common';

/** The headline figures above the jobs list. */
export function StatsStrip({ stats }: { stats: Stats | undefined }) {
  const cost = stats?.cost;
  return (
    <dl class="strip" aria-label="Statistics">
      <div>
        <dt>jobs</dt>
        <dd>{formatNumber(stats?.jobs.total)}</dd>
      </div>
      <div>
        <dt>runs done</dt>
        <dd>
          {formatNumber(stats?.runs.completed)}
          {stats && stats.runs.failed > 0 && <small class="text-failed"> +{stats.runs.failed} failed</small>}
        </dd>
      </div>
      <div>
        <dt>run time p50</dt>
        <dd title={`p95 ${formatRunTime(stats?.durations.p95Ms)}`}>{formatRunTime(stats?.durations.p50Ms)}</dd>
      </div>
      <div>
        <dt>cost, this design</dt>
        <dd>{formatUsd(cost?.stepFunctions.usd.total)}</dd>
      </div>
      <div>
        <dt>polling every minute</dt>
        <dd>{formatUsd(cost?.polling.usd.total)}</dd>
      </div>
      <div class="strip-link">
        {/* A dl holds only dt/dd groups: the link is the answer to an unseen "more". */}
        <dt class="sr-only">more</dt>
        <dd>
          <a href="#/stats">all figures →</a>
        </dd>
      </div>
    </dl>
  );
}

function CostBars({ cost }: { cost: Stats['cost'] }) {
  const ours = cost.stepFunctions.usd.total;
  const polling = cost.polling.usd.total;
  const max = Math.max(ours, polling, Number.MIN_VALUE);
  const rows = [
    { name: 'Step Functions design', value: ours, cls: 'ours' },
    { name: 'polling every minute', value: polling, cls: 'polling' },
  ];
  return (
    <div class="cost-bars" role="img" aria-label={`Cost: this design ${formatUsd(ours)}, polling ${formatUsd(polling)}`}>
      {rows.map((row) => (
        <div class="cost-row" key={row.cls}>
          <span class="cost-name">{row.name}</span>
          <span class="cost-track">
            <span class={`cost-fill ${row.cls}`} style={{ width: `${Math.max(0.5, (row.value / max) * 100)}%` }} />
          </span>
          <span class="cost-value">{formatUsd(row.value)}</span>
        </div>
      ))}
    </div>
  );
}

export function StatsPage({ refreshMs }: { refreshMs: number }) {
  const stats = usePoll(() => request<Stats>('GET', 'stats'), refreshMs, 'stats');
  const s = stats.data;
  if (!s) return <div class="page">{stats.error ? <ErrorNote error={stats.error} prefix="Could not read statistics" /> : <p class="muted">Loading…</p>}</div>;
  const { cost } = s;
  const saved = cost.savings;
  return (
    <div class="page page-stats">
      <ErrorNote error={stats.error} prefix="Could not refresh" />
      <div class="grid-2">
        <Card title="Jobs">
          <dl class="kv">
            <dt>total</dt>
            <dd>{formatNumber(s.jobs.total)}</dd>
            {Object.entries(s.jobs.byStatus).map(([status, n]) => (
              <Fragment key={status}>
                <dt>{status.replace(/_/g, ' ').toLowerCase()}</dt>
                <dd>{formatNumber(n)}</dd>
              </Fragment>
            ))}
          </dl>
        </Card>
        <Card title="Runs">
          <dl class="kv">
            <dt>finished</dt>
            <dd>{formatNumber(s.runs.total)}</dd>
            <dt>succeeded</dt>
            <dd>{formatNumber(s.runs.completed)}</dd>
            <dt>failed</dt>
            <dd>{formatNumber(s.runs.failed)}</dd>
            <dt>retried attempts</dt>
            <dd>{formatNumber(s.runs.retried)}</dd>
            <dt>duration p50 / p95</dt>
            <dd>
              {formatRunTime(s.durations.p50Ms)} / {formatRunTime(s.durations.p95Ms)}
            </dd>
            <dt>mean / max</dt>
            <dd>
              {formatRunTime(s.durations.meanMs)} / {formatRunTime(s.durations.maxMs)}
            </dd>
          </dl>
        </Card>
      </div>
      <Card title="Cost: this design against polling" class="cost">
        <CostBars cost={cost} />
        <p class="cost-verdict">
          {saved.percent === null
            ? 'No time has passed yet, so polling would have cost nothing.'
            : saved.usd >= 0
              ? `This design costs ${formatUsd(saved.usd)} less (${percentText(saved.percent)} of the polling cost saved).`
              : `This design costs ${formatUsd(-saved.usd)} more than polling here (${percentText(-saved.percent)}): run durations are billed as measured, on the runtime's clock.`}
        </p>
        <div class="grid-2">
          <dl class="kv">
            <dt>state transitions</dt>
            <dd>
              {formatNumber(cost.stepFunctions.stateTransitions)} → {formatUsd(cost.stepFunctions.usd.stateTransitions)}
            </dd>
            <dt>Lambda invocations</dt>
            <dd>
              {formatNumber(cost.stepFunctions.lambdaInvocations)} → {formatUsd(cost.stepFunctions.usd.lambdaRequests)}
            </dd>
            <dt>Lambda GB-seconds</dt>
            <dd>
              {formatNumber(cost.stepFunctions.lambdaGbSeconds)} → {formatUsd(cost.stepFunctions.usd.lambdaCompute)}
            </dd>
            <dt>per run</dt>
            <dd>
              {cost.stepFunctions.perRun.stateTransitions ?? '—'} transitions, {cost.stepFunctions.perRun.lambdaInvocations ?? '—'} invocations, {formatUsd(cost.stepFunctions.perRun.usd)}
            </dd>
          </dl>
          <dl class="kv">
            <dt>polling span</dt>
            <dd data-figure="polling-span">{daysText(cost.polling.days)}</dd>
            <dt>polling invocations</dt>
            <dd>
              {formatNumber(cost.polling.invocations)} → {formatUsd(cost.polling.usd.lambdaRequests)}
            </dd>
            <dt>polling GB-seconds</dt>
            <dd>
              {formatNumber(cost.polling.lambdaGbSeconds)} → {formatUsd(cost.polling.usd.lambdaCompute)}
            </dd>
            <dt>polling per run</dt>
            <dd>{formatUsd(cost.polling.perRun.usd)}</dd>
          </dl>
        </div>
        <details class="formula">
          <summary>How it is counted</summary>
          <ul>
            <li>
              transitions = <code>{cost.formula.stateTransitions}</code>
            </li>
            <li>
              invocations = <code>{cost.formula.lambdaInvocations}</code>
            </li>
            <li>
              GB-seconds = <code>{cost.formula.lambdaGbSeconds}</code>
            </li>
            <li>
              polling = <code>{cost.formula.polling}</code>
            </li>
            <li>
              {cost.assumptions.memoryMb} MB functions; other invocations {cost.assumptions.shortInvocationMs} ms; polling {cost.assumptions.polling.invocationsPerDay}/day × {cost.assumptions.polling.durationMs} ms at{' '}
              {cost.assumptions.polling.memoryMb} MB
            </li>
            <li>{cost.prices.note}</li>
          </ul>
        </details>
      </Card>
    </div>
  );
}

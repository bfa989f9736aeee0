/** Seed 000's final report: the summary, the daily breakdown as a table and as a bar chart. */
import type { FinalReport } from '../types';
import { formatInZone, formatNumber, viewerZone } from '../format';

type Day = FinalReport['dailyBreakdown'][number];

const CHART = { width: 640, height: 220, top: 22, bottom: 30, left: 44, right: 8 };

/** 1, 2, 5 × 10ⁿ steps, about four of them up to `max`. */
function ticks(max: number): number[] {
  if (max <= 0) return [0];
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? rough;
  const out: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) out.push(v);
  return out;
}

export function ReportChart({ days }: { days: readonly Day[] }) {
  const max = Math.max(1, ...days.map((d) => d.records));
  const scaleTicks = ticks(max);
  const top = scaleTicks.at(-1) ?? max;
  const plotH = CHART.height - CHART.top - CHART.bottom;
  const plotW = CHART.width - CHART.left - CHART.right;
  const slot = plotW / Math.max(1, days.length);
  const bar = Math.max(2, Math.min(56, slot * 0.62));
  const y = (v: number) => CHART.top + plotH - (v / top) * plotH;
  return (
    <svg class="report-chart" viewBox={`0 0 ${CHART.width} ${CHART.height}`} role="img" aria-label="Records per day of the final report">
      {scaleTicks.map((t) => (
        <g key={t} class="chart-grid">
          <line x1={CHART.left} x2={CHART.width - CHART.right} y1={y(t)} y2={y(t)} />
          <text x={CHART.left - 6} y={y(t) + 4} text-anchor="end">
            {t >= 1000 ? `${t / 1000}k` : t}
          </text>
        </g>
      ))}
      {days.map((day, i) => {
        const cx = CHART.left + slot * i + slot / 2;
        const h = Math.max(day.records > 0 ? 1 : 0, y(0) - y(day.records));
        const showLabels = slot >= 28;
        return (
          <g key={day.day} class={`chart-bar type-${day.type}${day.failed ? ' is-failed' : ''}`} data-day={day.day}>
            <title>{`Day ${day.day} (${day.type}): ${day.records} records${day.errors ? `, ${day.errors} errors` : ''}${day.failed ? `, failed${day.error ? `: ${day.error}` : ''}` : ''}`}</title>
            <rect x={cx - bar / 2} y={y(0) - h} width={bar} height={h} rx={2} />
            {day.failed && <rect class="chart-failed-mark" x={cx - bar / 2} y={y(0) - 6} width={bar} height={6} />}
            {showLabels && (
              <text class="chart-value" x={cx} y={y(0) - h - 5} text-anchor="middle">
                {day.failed ? 'failed' : formatNumber(day.records)}
              </text>
            )}
            {showLabels || i % Math.ceil(28 / slot) === 0 ? (
              <text class="chart-axis" x={cx} y={CHART.height - 12} text-anchor="middle">
                {day.day}
              </text>
            ) : null}
          </g>
        );
      })}
      <line class="chart-base" x1={CHART.left} x2={CHART.width - CHART.right} y1={y(0)} y2={y(0)} />
    </svg>
  );
}

export function Report({ report }: { report: FinalReport }) {
  const { summary } = report;
  return (
    <div class="report" data-testid="final-report">
      <dl class="figures">
        <div>
          <dt>days</dt>
          <dd>{summary.totalDays}</dd>
        </div>
        <div>
          <dt>records processed</dt>
          <dd>{formatNumber(summary.totalRecordsProcessed)}</dd>
        </div>
        <div>
          <dt>errors</dt>
          <dd>{formatNumber(summary.totalErrors)}</dd>
        </div>
        <div>
          <dt>success rate</dt>
          <dd>{summary.successRate}</dd>
        </div>
      </dl>
      <div class="report-grid">
        <div class="table-wrap">
          <table class="report-table">
            <caption>
              Daily breakdown · {report.reportType} report generated {formatInZone(report.generatedAt, viewerZone, 'long')}
            </caption>
            <thead>
              <tr>
                <th scope="col">day</th>
                <th scope="col">type</th>
                <th scope="col" class="num">records</th>
                <th scope="col" class="num">errors</th>
              </tr>
            </thead>
            <tbody>
              {report.dailyBreakdown.map((day) => (
                <tr key={day.day} class={day.failed ? 'row-failed' : ''}>
                  <td>{day.day}</td>
                  <td>
                    <span class={`dot type-${day.type}`} /> {day.type}
                    {day.failed && <span class="text-failed"> · failed{day.error ? `: ${day.error}` : ''}</span>}
                  </td>
                  <td class="num">{formatNumber(day.records)}</td>
                  <td class="num">{day.errors === undefined ? '—' : formatNumber(day.errors)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="chart-wrap">
          <ReportChart days={report.dailyBreakdown} />
          <p class="legend">
            <span class="dot type-collection" /> collection <span class="dot type-processing" /> processing <span class="dot type-report" /> report
          </p>
        </div>
      </div>
    </div>
  );
}

/**
 * The benches still run. They are scripts, not tests, and nothing else executes them: the processing bench
 * failed for a day after `file:` sources were confined to a files folder, and nobody saw it until the next
 * measurement. Each runs here as `npm run bench` runs it (bench/run.ts's child mode, its own process), at
 * a size that takes seconds, and must produce its figures with numbers and, where a figure has a floor,
 * the floor. Nothing here is timed: what the figures say is the bench's business, not the test's. The
 * bundles and seed002 benches are left out for their length (the packaged bundles are checked by
 * test/integration/package/sls-package.test.ts).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FigureResult } from '../../bench/common';
import { useTempDir } from '../support/temp-dir';

const run = promisify(execFile);
const root = path.join(__dirname, '../..');
const dir = useTempDir('bench-smoke-');

const SMALL = {
  BENCH_PROCESSING_RECORDS: '2000',
  BENCH_WARP_JOBS: '5',
  BENCH_LATENESS_JOBS: '10',
  BENCH_MEMORY_JOBS: '10',
  BENCH_API_SECONDS: '1',
};

async function bench(name: string): Promise<FigureResult> {
  const out = path.join(dir(), `${name}.json`);
  await run(process.execPath, ['--expose-gc', '-r', 'ts-node/register/transpile-only', 'bench/run.ts', '--child', name, '--out', out], {
    cwd: root,
    env: { ...process.env, ...SMALL, POWERTOOLS_LOG_LEVEL: 'ERROR', TS_NODE_TRANSPILE_ONLY: 'true' },
    timeout: 170_000,
  });
  return JSON.parse(await readFile(out, 'utf8')) as FigureResult;
}

/** Figures that must stand beside a floor measured in the same run (issue 17). */
const WITH_FLOOR: Record<string, RegExp[]> = {
  processing: [/^processing: one run/],
  calls: [/^calls: DynamoDB calls per 7-day workflow/],
  warp: [/^warp: .* 7-day workflows at once/],
  lateness: [/^lateness: p99/],
  api: [/^api: GET \/jobs\/\{id\}, p99/, /^api: POST \/jobs, p99/],
};

describe('npm run bench', () => {
  it.each(['processing', 'calls', 'schedule', 'cost', 'memory', 'warp', 'lateness', 'api'])('runs the %s bench to its figures', async (name) => {
    const result = await bench(name);

    expect(result.name).toBe(name);
    expect(result.rows.length).toBeGreaterThan(0);
    for (const row of result.rows) {
      expect({ figure: row.figure, measured: Number.isFinite(row.measured) }).toEqual({ figure: row.figure, measured: true });
      if (row.reference) expect({ figure: row.figure, reference: Number.isFinite(row.reference.value) }).toEqual({ figure: row.figure, reference: true });
    }
    for (const pattern of WITH_FLOOR[name] ?? []) {
      const row = result.rows.find((r) => pattern.test(r.figure));
      expect({ pattern: String(pattern), found: row !== undefined }).toEqual({ pattern: String(pattern), found: true });
      expect(row!.reference).not.toBeNull();
      expect(row!.ratio).not.toBeNull();
    }
  }, 180_000);
});

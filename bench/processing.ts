/**
 * A processing run on a large `file://` data source, after collection: 100,000 NDJSON records, a 7-day
 * workflow (so each processing run validates a fifth of them). Measured on the step itself
 * (`createProcessingStep()`), its manifest carried in the cursor as the task Lambda hands it on, beside
 * the floor of what such a run cannot skip: a stat of the file and validating its own slice. For scale, one
 * row times what every run used to do: read, parse and canonical-JSON-hash the whole file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { logger } from '../src/common/logger';
import { JobSchema } from '../src/lib/job';
import { checksum, generateSampleRecords, parseRecords, sliceFor, validateRecord, type ReportType } from '../src/lib/records';
import type { StepContext } from '../src/lib/steps';
import { FilesDir } from '../src/adapters/files-dir';
import { createCollectionStep } from '../src/steps/collection';
import { clearDataSetCache, DEFAULT_READ_LIMITS } from '../src/steps/data-source';
import { createProcessingStep } from '../src/steps/processing';
import { median, round, row, type FigureResult } from './common';

/** BENCH_PROCESSING_RECORDS overrides the data set's size (default 100,000). */
const RECORDS = Number(process.env.BENCH_PROCESSING_RECORDS ?? 100_000);
const REPEATS = 21;

function contextFor(dataSource: string, iteration: number, lastResult?: unknown): StepContext {
  const job = JobSchema.parse({
    id: 'bench-processing',
    startDateTime: '2026-12-01T09:00:00Z',
    endDateTime: '2026-12-07T09:00:00Z',
    frequency: { days: 1 },
    config: { reportType: 'weekly', dataSource },
  });
  const phase = iteration === 0 ? 'collection' : iteration === 6 ? 'report' : 'processing';
  return {
    job,
    schedule: { iteration, runAt: '2026-12-01T09:00:00Z', phase, isLast: iteration === 6, done: false, totalRuns: 7 } as StepContext['schedule'],
    ...(lastResult === undefined ? {} : { lastResult: lastResult as StepContext['lastResult'] }),
    attempt: 1,
    history: { getRun: async () => undefined, finishedRuns: async () => [] },
    notifier: { publish: async () => ({ messageId: 'bench' }) },
    now: () => new Date(),
  };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export async function run(): Promise<FigureResult> {
  logger.setLogLevel('SILENT');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-processing-'));
  try {
    const file = path.join(dir, 'records.ndjson');
    const text = generateSampleRecords('bench', RECORDS, 42).map((r) => JSON.stringify(r)).join('\n');
    writeFileSync(file, text);
    const dataSource = pathToFileURL(file).href;
    const reportType: ReportType = 'weekly';
    // file: sources are read only inside the operator's files folder (`npm start -- --files-dir DIR`).
    const limits = { ...DEFAULT_READ_LIMITS, files: await FilesDir.open(dir, []) };

    const collectionMs = await time(async () => {
      clearDataSetCache();
      await createCollectionStep(limits)(contextFor(dataSource, 0));
    });
    const manifest = (await createCollectionStep(limits)(contextFor(dataSource, 0))).result;
    const processing = createProcessingStep(limits);
    const runs: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const k = (i % 5) + 1;
      runs.push(await time(() => processing(contextFor(dataSource, k, manifest))));
    }
    // A run in a container that has not seen the source (a Lambda a day later): read, parse, fingerprint.
    const cold: number[] = [];
    for (let i = 0; i < 5; i++) {
      clearDataSetCache();
      cold.push(await time(() => processing(contextFor(dataSource, (i % 5) + 1, manifest))));
    }
    // The floor: what a run cannot skip — learn the file is unchanged, validate its fifth.
    const records = parseRecords(text);
    const floors: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const [from, to] = sliceFor(RECORDS, 5, (i % 5) + 1);
      floors.push(await time(async () => {
        await stat(file);
        for (let j = from; j < to; j++) validateRecord(records[j], reportType);
      }));
    }
    // What each run did before the cache: read, parse and canonical-JSON-hash the whole file.
    const legacy: number[] = [];
    for (let i = 0; i < 3; i++) legacy.push(await time(async () => checksum(parseRecords(await import('node:fs/promises').then((fs) => fs.readFile(file, 'utf8'))))));

    const processingMs = median(runs);
    const floorMs = median(floors);
    return {
      name: 'processing',
      rows: [
        row({
          figure: `processing: one run on a ${RECORDS.toLocaleString('en-US')}-record file:// source, after collection`,
          measured: round(processingMs, 1),
          unit: 'ms',
          reference: { value: round(floorMs, 1), unit: 'ms', what: 'stat + validating its slice alone' },
          target: '< 20 ms',
          met: processingMs < 20,
          note: `median of ${REPEATS} runs, manifest carried in the cursor; collection (read, parse, fingerprint) took ${round(collectionMs, 0)} ms; reading, parsing and canonical-JSON-hashing the file (every run before the cache) ${round(median(legacy), 0)} ms`,
        }),
        row({
          figure: 'processing: the same run in a process that has not read the source yet',
          measured: round(median(cold), 0),
          unit: 'ms',
          reference: { value: round(median(legacy), 0), unit: 'ms', what: 'the same run before: read, parse, canonical-JSON hash' },
          target: 'informational',
          met: null,
          note: 'median of 5; reads, parses and hashes the raw bytes, validates its slice',
        }),
      ],
      details: { runsMs: runs.map((v) => round(v, 2)), floorMs: floors.map((v) => round(v, 2)), collectionMs: round(collectionMs, 1), coldRunMs: cold.map((v) => round(v, 1)), legacyRunMs: legacy.map((v) => round(v, 1)) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

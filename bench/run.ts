/**
 * `npm run bench`: every figure of issue #9, each in its own fresh Node process (so one bench's heap,
 * timers and process clock never colour the next, and the memory bench can force a GC), then one table
 * (figure | measured | reference | ratio | target | met) and bench/results.json with the machine it ran on.
 *
 *   npm run bench                         # all figures
 *   npm run bench -- --only cost,api      # a subset (cost, warp, lateness, api, bundles, memory, seed002, schedule, processing, calls)
 *
 * Benches are scripts, not tests: they measure and compare, they assert nothing, and each stops by itself
 * within its own time bound (a child that overruns is killed and reported as such).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { machine, ROOT, type FigureResult, type Row } from './common';

/** Each figure: its module and how long its process may run before it is killed. */
const FIGURES = {
  cost: { module: './cost', timeoutMs: 5 * 60_000 },
  warp: { module: './warp', timeoutMs: 10 * 60_000 },
  lateness: { module: './lateness', timeoutMs: 11 * 60_000 },
  api: { module: './api', timeoutMs: 3 * 60_000 },
  bundles: { module: './bundles', timeoutMs: 5 * 60_000 },
  memory: { module: './memory', timeoutMs: 10 * 60_000 },
  seed002: { module: './seed002', timeoutMs: 10 * 60_000 },
  schedule: { module: './schedule', timeoutMs: 3 * 60_000 },
  processing: { module: './processing', timeoutMs: 3 * 60_000 },
  calls: { module: './calls', timeoutMs: 3 * 60_000 },
} as const;
type FigureName = keyof typeof FIGURES;
const NAMES = Object.keys(FIGURES) as FigureName[];

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  if (index >= 0) return process.argv[index + 1];
  const inline = process.argv.find((arg) => arg.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

// ---- child: one figure ---------------------------------------------------------------------------------

async function child(name: FigureName, out: string): Promise<void> {
  const started = performance.now();
  const bench = (await import(FIGURES[name].module)) as { run: () => Promise<FigureResult> };
  const result = await bench.run();
  result.seconds = Math.round((performance.now() - started) / 100) / 10;
  writeFileSync(out, JSON.stringify(result));
}

// ---- parent ----------------------------------------------------------------------------------------------

function runChild(name: FigureName, dir: string): Promise<FigureResult> {
  const out = path.join(dir, `${name}.json`);
  const args = ['--expose-gc', '-r', 'ts-node/register/transpile-only', __filename, '--child', name, '--out', out];
  return new Promise((resolve) => {
    const started = performance.now();
    const proc = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), FIGURES[name].timeoutMs);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      try {
        resolve({ ...(JSON.parse(readFileSync(out, 'utf8')) as FigureResult), seconds });
      } catch {
        const why = signal === 'SIGKILL' ? `killed after ${FIGURES[name].timeoutMs / 1000} s` : `exited with ${code ?? signal}`;
        resolve({ name, rows: [], details: { error: why }, seconds });
      }
    });
  });
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && abs < 0.01) return value.toPrecision(3);
  if (abs < 10) return String(Math.round(value * 100) / 100);
  if (abs < 1000) return String(Math.round(value * 10) / 10);
  return Math.round(value).toLocaleString('en-US');
}

export function formatValue(value: number, unit: string): string {
  if (unit === '$') return `$${formatNumber(value)}`;
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value);
}

function formatRatio(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '—';
  if (ratio >= 10) return `${Math.round(ratio)}×`;
  if (ratio >= 0.01) return `${ratio.toFixed(2)}×`;
  return `${ratio.toPrecision(2)}×`;
}

function table(rows: readonly Row[]): string {
  const lines = ['| figure | measured | reference | ratio | target | met |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const reference = r.reference ? `${formatValue(r.reference.value, r.reference.unit)} (${r.reference.what})` : '—';
    const met = r.met === null ? '—' : r.met ? 'yes' : '**no**';
    lines.push(`| ${r.figure} | ${formatValue(r.measured, r.unit)} | ${reference} | ${formatRatio(r.ratio)} | ${r.target} | ${met} |`);
  }
  return lines.join('\n');
}

async function parent(): Promise<void> {
  const only = flag('--only');
  const selected = only ? (only.split(',').map((s) => s.trim()).filter(Boolean) as FigureName[]) : NAMES;
  const unknown = selected.filter((name) => !NAMES.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown figure(s): ${unknown.join(', ')}; choose from ${NAMES.join(', ')}\n`);
    process.exit(2);
  }
  const started = performance.now();
  const info = machine();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'step-scheduler-bench-'));
  const results: FigureResult[] = [];
  try {
    for (const name of selected) {
      process.stderr.write(`bench ${name} …\n`);
      const result = await runChild(name, dir);
      process.stderr.write(`bench ${name}: ${result.seconds} s${result.details.error ? ` — ${String(result.details.error)}` : ''}\n`);
      results.push(result);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = Math.round((performance.now() - started) / 1000);
  const rows = results.flatMap((r) => r.rows);
  const machineLine = `${info.cpu}, ${info.cores} cores, ${info.totalMemoryGb} GB, Node ${info.node}, ${info.platform}, ${info.date.slice(0, 10)}`;
  const failed = results.filter((r) => r.details.error).map((r) => `${r.name} (${String(r.details.error)})`);
  process.stdout.write(`\n${table(rows)}\n\n${machineLine}; npm run bench${only ? ` -- --only ${only}` : ''} took ${seconds} s\n`);
  if (failed.length > 0) process.stdout.write(`did not finish: ${failed.join(', ')}\n`);
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.figure}: ${r.note}`);
  if (notes.length > 0) process.stdout.write(`\nnotes:\n${notes.join('\n')}\n`);
  // A subset replaces its own figures in results.json and keeps the others' from their last run.
  const file = path.join(ROOT, 'bench/results.json');
  let kept: FigureResult[] = [];
  if (only) {
    try {
      const previous = JSON.parse(readFileSync(file, 'utf8')) as { results?: FigureResult[] };
      kept = (previous.results ?? []).filter((r) => !results.some((n) => n.name === r.name));
    } catch {
      kept = [];
    }
  }
  const merged = [...kept, ...results];
  writeFileSync(
    file,
    `${JSON.stringify({ machine: { ...info, loadAverageAfter: os.loadavg().map((v) => Math.round(v * 100) / 100) }, command: `npm run bench${only ? ` -- --only ${only}` : ''}`, seconds, figures: merged.map((r) => r.name), table: merged.flatMap((r) => r.rows), results: merged }, null, 2)}\n`,
  );
  process.stdout.write('wrote bench/results.json\n');
}

const childName = flag('--child') as FigureName | undefined;
const main = childName ? child(childName, flag('--out') ?? path.join(os.tmpdir(), `${childName}.json`)) : parent();
main.catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

/**
 * Figure 5, the Lambda bundles: each function bundled by esbuild with serverless.ts's own custom.esbuild
 * options (what serverless-esbuild does on `sls package`), its size, and its module-load time in a fresh
 * Node process (median of several), beside loading the same handler unbundled: the sources compiled by
 * tsc to a temporary folder, requiring their node_modules one file at a time.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { median, ROOT, round, row, type FigureResult, type Row } from './common';

const run_ = promisify(execFile);
/** Issue 17's targets for module load as deployed; others keep issue 9's 200 ms. */
const LOAD_TARGET_MS: Record<string, number> = { calculator: 30, task: 80, api: 80 };

/** The flags serverless.ts's NODE_OPTIONS gives every function on AWS. */
function deployedNodeOptions(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('../serverless') as { provider: { environment?: Record<string, unknown> } };
  const value = config.provider.environment?.NODE_OPTIONS;
  return typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : [];
}
const LOADS = 7;
/** What every function that reaches DynamoDB loads with its adapters (src/adapters/dynamodb/client.ts). */
const SDK_FLOOR_SOURCE = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
// Loaded, not constructed: the adapters build their client on first use.
export { DynamoDBClient, DynamoDBDocumentClient, GetCommand };
`;
const KB = 1024;

/** What one fresh process measures: the require's wall time, and the files it loaded from disk. */
const PROBE = `
const fs = require('fs');
const c = process.cpuUsage();
const t = process.hrtime.bigint();
require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - t) / 1e6;
const used = process.cpuUsage(c);
const cpuMs = (used.user + used.system) / 1000;
let bytes = 0, files = 0;
for (const file of Object.keys(require.cache)) { try { bytes += fs.statSync(file).size; files += 1; } catch {} }
process.stdout.write(JSON.stringify({ ms, cpuMs, bytes, files }));
`;

interface Probe {
  ms: number;
  /** CPU time of the require: less swayed than wall time by other work on a shared machine. */
  cpuMs: number;
  bytes: number;
  files: number;
}

async function probe(modulePath: string, flags: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Probe> {
  const { stdout } = await run_(process.execPath, [...flags, '-e', PROBE, modulePath], {
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH, POWERTOOLS_LOG_LEVEL: 'ERROR', AWS_REGION: 'us-east-1', ...env },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as Probe;
}

async function loadTimes(modulePath: string, flags: string[] = [], env: NodeJS.ProcessEnv = {}) {
  await probe(modulePath, flags, env); // warm the file cache
  const probes: Probe[] = [];
  for (let i = 0; i < LOADS; i++) probes.push(await probe(modulePath, flags, env));
  return { medianMs: median(probes.map((p) => p.ms)), medianCpuMs: median(probes.map((p) => p.cpuMs)), ms: probes.map((p) => round(p.ms, 1)), files: probes[0]?.files ?? 0, bytes: probes[0]?.bytes ?? 0 };
}

/** The functions and esbuild options serverless.ts declares. */
function serverlessEsbuild() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('../serverless') as {
    functions: Record<string, { handler: string }>;
    custom: { esbuild: Record<string, unknown> & { exclude?: string[]; concurrency?: number } };
  };
  // exclude and concurrency are serverless-esbuild's own; exclude becomes esbuild's external.
  const { exclude = [], concurrency: _concurrency, plugins, ...options } = config.custom.esbuild;
  const functions = Object.entries(config.functions).map(([name, fn]) => ({
    name,
    entry: path.join(ROOT, `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`),
    source: `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.js`,
  }));
  return { functions, options: { format: 'cjs' as const, ...options, external: exclude }, plugins: esbuildPlugins(plugins) };
}

/**
 * `plugins` as serverless-esbuild reads it: an array, or a module path (relative to the service) whose
 * export, or default export, is the array or a function returning it.
 */
function esbuildPlugins(plugins: unknown): Plugin[] {
  if (plugins === undefined) return [];
  if (Array.isArray(plugins)) return plugins as Plugin[];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  let loaded = require(path.join(ROOT, String(plugins))) as unknown;
  if (loaded && typeof loaded === 'object' && 'default' in loaded) loaded = (loaded as { default: unknown }).default;
  if (typeof loaded === 'function') loaded = (loaded as () => unknown)();
  return loaded as Plugin[];
}

export async function run(): Promise<FigureResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'step-scheduler-bundles-'));
  try {
    const { functions, options, plugins } = serverlessEsbuild();

    // Unbundled: the sources compiled by tsc (src only), resolving node_modules from the repository.
    const tsconfig = path.join(dir, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: path.join(ROOT, 'tsconfig.json'),
        compilerOptions: { outDir: path.join(dir, 'tsc'), rootDir: ROOT, sourceMap: false, noEmit: false, noEmitOnError: false, types: ['node'] },
        include: [path.join(ROOT, 'src/**/*.ts')],
      }),
    );
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    // Type errors elsewhere in a tree under edit do not stop the emit; only a missing output would.
    await run_(process.execPath, [tsc, '-p', tsconfig], { cwd: ROOT, timeout: 180_000 }).catch(() => undefined);

    const results: Array<Record<string, unknown>> = [];
    const rows: Row[] = [];

    // The floor under every function that reaches DynamoDB: the document client the adapters build, alone,
    // bundled with the same options. No code of ours can load faster than the SDK client it needs at once.
    const sdkFloorFile = path.join(dir, 'sdk-floor', 'handler.js');
    await build({
      ...options,
      stdin: { contents: SDK_FLOOR_SOURCE, resolveDir: ROOT, loader: 'ts' },
      outfile: sdkFloorFile,
      logLevel: 'silent',
    } as Parameters<typeof build>[0]);
    const sdkFloor = await loadTimes(sdkFloorFile, deployedNodeOptions());
    const sdkFloorBytes = statSync(sdkFloorFile).size;
    for (const fn of functions) {
      const outfile = path.join(dir, 'bundle', fn.name, 'handler.js');
      await build({ ...options, plugins, entryPoints: [fn.entry], outfile, logLevel: 'silent' } as Parameters<typeof build>[0]);
      const js = readFileSync(outfile);
      const mapBytes = statSync(`${outfile}.map`).size;
      const zipped = deflateRawSync(js).length + deflateRawSync(readFileSync(`${outfile}.map`)).length;
      const bundled = await loadTimes(outfile);
      // As deployed: serverless.ts's NODE_OPTIONS, if it sets any (no --enable-source-maps since issue 17).
      const deployedFlags = deployedNodeOptions();
      const deployed = deployedFlags.length > 0 ? await loadTimes(outfile, deployedFlags) : bundled;
      // What turning source maps on for debugging costs.
      const bundledSourceMaps = await loadTimes(outfile, ['--enable-source-maps']);
      const empty = path.join(dir, 'empty.js');
      writeFileSync(empty, '');
      const floor = await loadTimes(empty, deployedFlags);
      // The calculator reaches no AWS service; the others load the DynamoDB client with their adapters.
      const sdkFloorApplies = fn.name !== 'calculator';
      const target = LOAD_TARGET_MS[fn.name] ?? 200;
      const unbundled = await loadTimes(path.join(dir, 'tsc', fn.source), [], { NODE_PATH: path.join(ROOT, 'node_modules') });
      results.push({
        function: fn.name,
        bundleBytes: js.length,
        mapBytes,
        zipBytesApprox: zipped,
        bundleLoadMs: bundled,
        deployedNodeOptions: deployedFlags,
        deployedLoadMs: deployed,
        bundleLoadMsWithSourceMaps: bundledSourceMaps,
        emptyModuleLoadMs: floor,
        unbundledLoadMs: unbundled,
      });
      rows.push(
        row({
          figure: `bundle: ${fn.name}, size`,
          measured: round(js.length / KB, 0),
          unit: 'KB',
          reference: { value: round(unbundled.bytes / KB, 0), unit: 'KB', what: `${unbundled.files} files loaded unbundled` },
          target: '< 5 MB',
          met: js.length < 5 * KB * KB,
          note: `+ ${round(mapBytes / KB, 0)} KB source map; ~${round(zipped / KB, 0)} KB deflated (the zip)`,
        }),
        row({
          figure: `bundle: ${fn.name}, module load as deployed`,
          measured: round(deployed.medianMs, 1),
          unit: 'ms',
          reference: sdkFloorApplies
            ? { value: round(sdkFloor.medianMs, 1), unit: 'ms', what: `the DynamoDB client alone, bundled the same way (${round(sdkFloorBytes / KB, 0)} KB)` }
            : { value: round(floor.medianMs, 1), unit: 'ms', what: 'an empty module, same flags' },
          target: `< ${target} ms`,
          met: deployed.medianMs < target,
          note: `median of ${LOADS} fresh processes (CPU ${round(deployed.medianCpuMs, 1)} ms), empty module ${round(floor.medianMs, 1)} ms, NODE_OPTIONS ${deployedFlags.join(' ') || '(none)'}; unbundled (tsc output) ${round(unbundled.medianMs, 1)} ms; with --enable-source-maps (to debug) ${round(bundledSourceMaps.medianMs, 1)} ms`,
        }),
      );
    }
    return { name: 'bundles', rows, details: { esbuildOptions: options, plugins: plugins.map((p) => p.name), functions: results } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

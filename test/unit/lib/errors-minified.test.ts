/**
 * The error names survive minification. A minifier renames classes (TransientError becomes `r`); a name
 * taken from the constructor would then no longer match the ASL's Retry, and no run would be retried.
 * This bundles the real modules with esbuild `minify: true` (what `custom.esbuild.minify` in
 * serverless.ts would do) and runs the bundles in a separate Node process.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { useTempDir } from '../../support/temp-dir';

const run = promisify(execFile);
const root = path.join(__dirname, '../../..');
const dir = useTempDir('errors-minified-');

async function bundle(entry: { file: string } | { contents: string }, outfile: string): Promise<string> {
  const out = path.join(dir(), outfile);
  await build({
    ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.contents, resolveDir: root, loader: 'ts' } }),
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: out,
    logLevel: 'silent',
  });
  return out;
}

/** Runs `script` in a fresh Node process and parses the JSON it prints. */
async function node(script: string, env: NodeJS.ProcessEnv = {}): Promise<unknown> {
  const file = path.join(dir(), `run-${Math.random().toString(36).slice(2)}.js`);
  await writeFile(file, script, 'utf8');
  const { stdout } = await run(process.execPath, [file], { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? 'null');
}

it('keeps every error class its name in a minified bundle', async () => {
  const out = await bundle(
    {
      contents: [
        "export * from './src/lib/errors';",
        "export * from './src/functions/api/errors';",
        "export { RequestNotActiveError } from './src/lib/extra-runs';",
      ].join('\n'),
    },
    'errors.js',
  );

  const seen = (await node(`
    const m = require(${JSON.stringify(out)});
    const classes = Object.entries(m).filter(([, v]) => typeof v === 'function' && v.prototype instanceof Error);
    // Arguments every constructor accepts (MethodNotAllowedError joins its third).
    console.log(JSON.stringify(classes.map(([key, C]) => ({ key, className: C.name, name: new C('x', 'y', ['z']).name }))));
  `)) as Array<{ key: string; className: string; name: string }>;

  expect(seen.length).toBeGreaterThanOrEqual(17);
  // The minifier did rename the classes: a name taken from the constructor would be wrong here.
  expect(seen.filter(({ key, className }) => key !== className).length).toBeGreaterThan(0);
  for (const { key, name } of seen) expect({ key, name }).toEqual({ key, name: key });
});

it('throws ValidationError and TransientError by name from the minified task Lambda', async () => {
  const out = await bundle({ file: path.join(root, 'src/functions/task/handler.ts') }, 'task.js');
  // A DynamoDB endpoint where nothing listens: the run's first write fails as a dropped connection would.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));
  const event = {
    op: 'run',
    job: { id: 'hello', startDateTime: '2026-12-01T09:00:00Z', action: { type: 'message', text: 'hi' } },
    schedule: { iteration: 0, runAt: '2026-12-01T09:00:00Z', phase: 'action', isLast: true, done: false, totalRuns: 1 },
  };

  const names = await node(
    `
    const { handler } = require(${JSON.stringify(out)});
    const nameOf = (p) => p.then(() => 'resolved', (e) => e.name);
    (async () => {
      const invalid = await nameOf(handler({ op: 'run' }));
      const unreachable = await nameOf(handler(${JSON.stringify(event)}));
      console.log(JSON.stringify({ invalid, unreachable }));
    })();
  `,
    { TABLE_NAME: 'jobs', DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}`, AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_MAX_ATTEMPTS: '1' },
  );

  expect(names).toEqual({ invalid: 'ValidationError', unreachable: 'TransientError' });
});

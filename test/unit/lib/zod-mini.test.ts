/**
 * The schemas use `zod/mini` (src/lib/zod.ts), which has no messages of its own: English is configured
 * there. This bundles the calculator Lambda as serverless.ts does (esbuild resolves zod's ES modules and
 * drops what is unused) and checks, in a fresh Node process, that zod's own messages are still English,
 * and that the bundle holds neither classic zod (a stray `from 'zod'` would pull it back in, and with it
 * the cold-start cost issue 17 removed) nor any other translation.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { useTempDir } from '../../support/temp-dir';

const run = promisify(execFile);
const root = path.join(__dirname, '../../..');
const dir = useTempDir('zod-mini-');

it('gives zod messages in English from the bundled calculator, with neither classic zod nor other locales bundled', async () => {
  const out = path.join(dir(), 'calculator.js');
  await build({
    entryPoints: [path.join(root, 'src/functions/calculator/handler.ts')],
    bundle: true,
    minifyWhitespace: true,
    minifySyntax: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outfile: out,
    logLevel: 'silent',
  });
  const script = `
    const { handler } = require(${JSON.stringify(out)});
    handler({ job: { id: 7, startDateTime: '2024-12-04T10:00:00Z', frequency: { days: 'one' } } }).then(
      () => console.log('null'),
      (e) => console.log(JSON.stringify({ name: e.name, issues: e.issues })),
    );
  `;
  const { stdout } = await run(process.execPath, ['-e', script], { env: { PATH: process.env.PATH }, timeout: 60_000 });

  expect(JSON.parse(stdout)).toEqual({
    name: 'ValidationError',
    issues: [
      { field: 'job.id', message: 'Invalid input: expected string, received number' },
      { field: 'job.frequency.days', message: 'Invalid input: expected number, received string' },
    ],
  });
  const bundle = await readFile(out, 'utf8');
  // Classic zod's base constructor (mini's is "ZodMiniType"), and German's and French's "Invalid input".
  const holds = (text: string) => bundle.includes(text);
  expect({ classicZod: holds('"ZodType"'), german: holds('Ungültige Eingabe'), french: holds('Entrée invalide') }).toEqual({ classicZod: false, german: false, french: false });
});

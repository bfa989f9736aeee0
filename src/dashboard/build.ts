/**
 * Builds the dashboard with esbuild into three files, `index.html`, `app.js` and `app.css`, for three users:
 *
 * - the local runtime builds them in memory when it starts (src/local/dashboard-files.ts);
 * - `sls package` embeds them in the api Lambda, which serves them at `GET /`, `/app.js` and `/app.css`:
 *   serverless.ts names this module as serverless-esbuild's `plugins`, whose default export below returns
 *   `embedDashboardPlugin()`;
 * - `npx ts-node --transpile-only src/dashboard/build.ts` writes them to dist/dashboard/ to look at or host.
 *
 * Everything is in memory (`write: false`): no build step to remember, nothing generated to commit.
 */
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';

export type DashboardFileName = 'index.html' | 'app.js' | 'app.css';

export interface DashboardFile {
  contentType: string;
  body: string;
}

export type DashboardFiles = Record<DashboardFileName, DashboardFile>;

const SOURCE_DIR = __dirname;
const ROOT_DIR = path.resolve(SOURCE_DIR, '../..');
export const DIST_DIR = path.join(ROOT_DIR, 'dist', 'dashboard');

const CONTENT_TYPES: Record<DashboardFileName, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** The browsers the bundle is written for: anything from about 2021 on (optional chaining, `??`, CSS grid gap). */
const TARGETS = ['chrome100', 'firefox100', 'safari15', 'edge100'];

/**
 * The three files, minified.
 * @example (await buildDashboard())['app.js'].body.length // about 40 kB
 */
export async function buildDashboard(): Promise<DashboardFiles> {
  const result = await esbuild.build({
    absWorkingDir: ROOT_DIR,
    entryPoints: { app: path.join(SOURCE_DIR, 'main.tsx') },
    outdir: DIST_DIR,
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: TARGETS,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    // The tsconfig is the server's (CommonJS, Node types); the browser bundle takes only the JSX settings above.
    tsconfigRaw: { compilerOptions: { jsx: 'react-jsx', jsxImportSource: 'preact' } },
  });
  const output = (extension: string) => {
    const file = result.outputFiles.find((f) => f.path.endsWith(extension));
    if (!file) throw new Error(`the dashboard build produced no ${extension} file`);
    return file.text;
  };
  const html = await readFile(path.join(SOURCE_DIR, 'index.html'), 'utf8');
  return {
    'index.html': { contentType: CONTENT_TYPES['index.html'], body: html },
    'app.js': { contentType: CONTENT_TYPES['app.js'], body: output('.js') },
    'app.css': { contentType: CONTENT_TYPES['app.css'], body: output('.css') },
  };
}

const ASSETS_MODULE = /[\\/]src[\\/]functions[\\/]api[\\/]dashboard-assets\.ts$/;

/**
 * An esbuild plugin for the api Lambda's bundle: it replaces src/functions/api/dashboard-assets.ts (empty
 * when run from source) with one that holds the built files, so the zip carries the dashboard inside the
 * handler itself — no extra file to include, no path to find at run time.
 */
// serverless-esbuild runs one build per function and asks for the plugins each time: build the dashboard once.
let embedded: Promise<DashboardFiles> | undefined;

export function embedDashboardPlugin(): esbuild.Plugin {
  return {
    name: 'embed-dashboard',
    setup(build) {
      build.onLoad({ filter: ASSETS_MODULE }, async () => {
        embedded ??= buildDashboard();
        const files = await embedded;
        return {
          contents: `export const DASHBOARD_FILES = ${JSON.stringify(files)};\n`,
          loader: 'js',
          watchDirs: [SOURCE_DIR],
        };
      });
    },
  };
}

/** Bytes of each file and of all three, raw and gzipped: what the README and the report quote. */
export async function bundleSizes(files: DashboardFiles): Promise<Record<string, { bytes: number; gzip: number }>> {
  const { gzipSync } = await import('node:zlib');
  const sizes: Record<string, { bytes: number; gzip: number }> = {};
  let bytes = 0;
  let gzip = 0;
  for (const [name, file] of Object.entries(files)) {
    const raw = Buffer.from(file.body, 'utf8');
    const zipped = gzipSync(raw).length;
    sizes[name] = { bytes: raw.length, gzip: zipped };
    bytes += raw.length;
    gzip += zipped;
  }
  sizes.total = { bytes, gzip };
  return sizes;
}

async function main(): Promise<void> {
  const started = performance.now();
  const files = await buildDashboard();
  await mkdir(DIST_DIR, { recursive: true });
  for (const [name, file] of Object.entries(files)) await writeFile(path.join(DIST_DIR, name), file.body);
  const sizes = await bundleSizes(files);
  process.stdout.write(`dashboard built in ${Math.round(performance.now() - started)} ms → ${path.relative(process.cwd(), DIST_DIR)}/\n`);
  for (const [name, size] of Object.entries(sizes)) {
    process.stdout.write(`  ${name.padEnd(10)} ${(size.bytes / 1024).toFixed(1).padStart(6)} kB  (${(size.gzip / 1024).toFixed(1)} kB gzip)\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

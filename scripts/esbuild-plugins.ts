/**
 * The esbuild plugins serverless.ts gives serverless-esbuild (`custom.esbuild.plugins` names this module):
 * the dashboard embedded in the api bundle, and the SDK clients a function needs only on some runs in files
 * of their own.
 */
import path from 'node:path';
import { build as esbuild, type BuildOptions, type Plugin } from 'esbuild';
import { embedDashboardPlugin } from '../src/dashboard/build';

const SDK_CLIENT = /^@aws-sdk\/client-[a-z0-9-]+$/;

/**
 * The SDK clients a build's entry loads at import: the packages reached from it through static imports
 * alone. A `require` inside a function (how the task reaches a target's client, a failure destination's or
 * a notification's: on first use) does not count, nor does anything reached only through one.
 */
async function clientsLoadedAtImport(options: BuildOptions): Promise<Set<string>> {
  const { plugins: _plugins, ...rest } = options;
  const { metafile } = await esbuild({ ...rest, write: false, metafile: true, logLevel: 'silent', outfile: 'probe.js', outdir: undefined });
  const cwd = options.absWorkingDir ?? process.cwd();
  const queue = Array.isArray(options.entryPoints) ? [path.relative(cwd, path.resolve(cwd, String(options.entryPoints[0])))] : [];
  // Not finding the entry would split every client, DynamoDB's too: refuse rather than build that.
  if (!queue[0] || !metafile.inputs[queue[0]]) throw new Error(`split-sdk-clients: entry ${queue[0] ?? '(none)'} not in the build's inputs`);
  const reached = new Set<string>();
  const clients = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (reached.has(file)) continue;
    reached.add(file);
    const client = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(file)?.[1];
    if (client) clients.add(client);
    for (const edge of metafile.inputs[file]?.imports ?? []) if (edge.kind === 'import-statement' && !edge.external) queue.push(edge.path);
  }
  return clients;
}

/**
 * Every SDK client a function does not load at import goes to a file of its own beside the handler,
 * `handler.<client>.js`, which the handler requires by relative path on first use. A module esbuild wraps
 * for a later `require` is evaluated only then, but V8 still reads and parses it with the bundle at every
 * cold start: the task's target, failure-destination and notification clients were ~60-100 ms of its
 * module load (README, Benchmarks). A client loaded at import (DynamoDB everywhere, Step Functions in the
 * api) stays in the bundle. serverless-esbuild zips a function's `handler.*` files with that function only
 * (as it does `handler.js.map`), so no other function carries them.
 */
export function splitSdkClientsPlugin(): Plugin {
  return {
    name: 'split-sdk-clients',
    setup(build) {
      const options = build.initialOptions;
      const outfile = (base: string) => {
        const entry = Array.isArray(options.entryPoints) ? String(options.entryPoints[0]) : '';
        const handler = options.outfile ?? path.join(options.outdir ?? '.', `${path.parse(entry).name}.js`);
        return path.join(path.dirname(handler), `${path.basename(handler, '.js')}.${base}.js`);
      };
      let atImport: Promise<Set<string>> | undefined;
      const used = new Set<string>();
      build.onStart(() => {
        atImport = clientsLoadedAtImport(options);
        used.clear();
      });
      build.onResolve({ filter: SDK_CLIENT }, async (args) => {
        const client = args.path.slice('@aws-sdk/'.length);
        if ((await atImport)?.has(client) !== false) return undefined;
        used.add(client);
        return { path: `./${path.basename(outfile(client))}`, external: true };
      });
      build.onEnd(async (result) => {
        if (result.errors.length > 0) return;
        const shared: BuildOptions = {
          bundle: true,
          format: 'cjs',
          platform: options.platform,
          target: options.target,
          mainFields: options.mainFields,
          minifyWhitespace: options.minifyWhitespace,
          minifySyntax: options.minifySyntax,
          sourcemap: options.sourcemap,
          logLevel: 'silent',
        };
        for (const client of used) {
          await esbuild({
            ...shared,
            stdin: { contents: `export * from '@aws-sdk/${client}';`, resolveDir: path.join(__dirname, '..'), loader: 'js' },
            outfile: outfile(client),
          });
        }
      });
    },
  };
}

/**
 * serverless-esbuild's `plugins` option takes a module path, not plugin objects: serverless copies its
 * configuration and functions do not survive the copy. It calls a default-exported function for the list.
 */
export default function esbuildPlugins(): Plugin[] {
  return [embedDashboardPlugin(), splitSdkClientsPlugin()];
}

/**
 * The esbuild plugins serverless.ts gives serverless-esbuild (`custom.esbuild.plugins` names this module):
 * the dashboard embedded in the api bundle, and the SDK clients only some runs need in files of their own.
 */
import path from 'node:path';
import { build as esbuild, type BuildOptions, type Plugin } from 'esbuild';
import { embedDashboardPlugin } from '../src/dashboard/build';

/**
 * Clients the task reaches only for some actions (a target's, a failure destination's, a notification's),
 * always through a `require` on first use. client-sfn is not here: the api imports it at load.
 */
export const SPLIT_SDK_CLIENTS = ['client-sqs', 'client-sns', 'client-lambda', 'client-eventbridge'] as const;
const SPLIT = new RegExp(`^@aws-sdk/(${SPLIT_SDK_CLIENTS.join('|')})$`);

/**
 * Each split client goes to a file of its own beside the handler, `handler.<client>.js`, which the handler
 * requires by relative path. A required module is evaluated only when first required, but it is read and
 * parsed with the bundle at every cold start: these four were ~60-100 ms of the task's module load
 * (README, Benchmarks). serverless-esbuild zips a function's `handler.*` files with that function only
 * (as it does `handler.js.map`), so no other function carries them. A client imported at load would still
 * work: its file is then required at load.
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
      const used = new Set<string>();
      build.onResolve({ filter: SPLIT }, (args) => {
        const client = args.path.slice('@aws-sdk/'.length);
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

/**
 * Bundles the command-line client (src/cli/main.ts, commander and cli-table3 inside) into dist/cli.js, a
 * plain CommonJS file Node runs without ts-node. `npm ci` / `npm install` run it (the `prepare` script);
 * bin/step-scheduler.js runs it again when a source under src/cli is newer than the bundle.
 */
'use strict';
const { renameSync, statSync, readdirSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const ENTRY = path.join(ROOT, 'src/cli/main.ts');
const OUT = path.join(ROOT, 'dist/cli.js');
const SOURCES = path.join(ROOT, 'src/cli');

/** The newest modification time of the client's sources (and this script, which decides the bundle). */
function newestSource() {
  const times = readdirSync(SOURCES).map((name) => statSync(path.join(SOURCES, name)).mtimeMs);
  return Math.max(...times, statSync(__filename).mtimeMs);
}

function isStale() {
  try {
    return statSync(OUT).mtimeMs < newestSource();
  } catch {
    return true;
  }
}

function buildCli() {
  // A devDependency: present after `npm ci`, which is how this repository is used.
  const esbuild = require('esbuild');
  // Written beside and renamed: two processes building at once never leave a half-written bundle.
  const temp = `${OUT}.${process.pid}.tmp`;
  esbuild.buildSync({
    entryPoints: [ENTRY],
    outfile: temp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  renameSync(temp, OUT);
  return OUT;
}

module.exports = { buildCli, isStale, OUT };

if (require.main === module) console.log(`wrote ${path.relative(ROOT, buildCli())}`);

#!/usr/bin/env node
// The `step-scheduler` command (package.json "bin"): runs the bundled client dist/cli.js, rebuilding it
// first when src/cli changed since (or it was never built), so the command never runs stale code.
'use strict';
const build = require('../scripts/build-cli.js');

if (build.isStale()) build.buildCli();
require(build.OUT)
  .runCli(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error);
      process.exitCode = 70;
    },
  );

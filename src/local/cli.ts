/**
 * `npm start [-- --port 3000 --speed 86400 | --fast --memory --data-dir .data --token T --allow-hosts 127.0.0.1
 *   --files-dir DIR --allow-origin ORIGIN]`
 * Starts the embedded runtime and prints where each part listens and the keys its endpoints accept;
 * Ctrl-C stops it cleanly.
 */
import { parseArgs } from 'node:util';

const USAGE = `usage: npm start -- [options]
  --port N          HTTP API port (default 3000, env PORT)
  --speed N         warped seconds per real second: 86400 = a day a second (default 1, real time)
  --fast            skip waits (same as --speed 0)
  --memory          keep DynamoDB in memory (default: on disk under --data-dir)
  --data-dir DIR    where DynamoDB data and the notification outbox live (default .data)
  --token T         require "Authorization: Bearer T" on every route but /health (env API_TOKEN)
  --dynamo-port N   DynamoDB endpoint port (default 8000; 0 = any free port)
  --sfn-port N      Step Functions endpoint port (default 8083; 0 = any free port)
  --no-resume       do not resume unfinished jobs
  --allow-hosts L   comma-separated host names and CIDRs webhooks and data sources may call although
                    they are not public, e.g. 127.0.0.1,localhost (env WEBHOOK_ALLOW_HOSTS; default none)
  --files-dir DIR   the one folder file: data sources and file failure destinations may use; it may not
                    hold the store (--data-dir's dynamodb/, outbox.ndjson). Default none: such jobs are refused
  --allow-origin O  an origin (https://ops.example.com, or *) whose web pages may call the API; default none
  --log-level L     DEBUG, INFO, WARN or ERROR (default WARN)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function portOf(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--${name} must be a port number from 0 to 65535, got "${value}"`);
  return port;
}

/**
 * The last net: an exception no handler caught (a dependency throwing from a callback, as dynalite did on
 * a deeply nested item) is logged with its stack and the runtime goes on serving the other requests,
 * rather than every job stopping with the process. Handlers still map their own errors; this only
 * catches what escapes them, and says so loudly.
 */
function installSafetyNet(): void {
  const report = (kind: string) => (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${new Date().toISOString()} ${kind} (the runtime goes on serving; please report it): ${text}\n`);
  };
  process.on('uncaughtException', report('uncaught exception'));
  process.on('unhandledRejection', report('unhandled rejection'));
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        speed: { type: 'string' },
        fast: { type: 'boolean' },
        memory: { type: 'boolean' },
        'data-dir': { type: 'string' },
        token: { type: 'string' },
        'dynamo-port': { type: 'string' },
        'sfn-port': { type: 'string' },
        'no-resume': { type: 'boolean' },
        'allow-hosts': { type: 'string' },
        'files-dir': { type: 'string' },
        'allow-origin': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const speed = values.fast ? 0 : values.speed === undefined ? 1 : Number(values.speed);
  if (!Number.isFinite(speed) || speed < 0) fail(`--speed must be a number of 0 or more, got "${values.speed}"`);
  // The logger reads its level when first loaded, so set it before loading the runtime.
  process.env.POWERTOOLS_LOG_LEVEL = (values['log-level'] ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN').toUpperCase();
  const allowHosts = values['allow-hosts'] ?? process.env.WEBHOOK_ALLOW_HOSTS;
  installSafetyNet();
  const { startRuntime } = await import('./runtime');
  const { dashboardFiles } = await import('./dashboard-files');

  const runtime = await startRuntime({
    port: portOf(values.port ?? process.env.PORT, 3000, 'port'),
    sfnPort: portOf(values['sfn-port'], 8083, 'sfn-port'),
    dynamoPort: portOf(values['dynamo-port'], 8000, 'dynamo-port'),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    memory: values.memory ?? false,
    speed,
    resume: !values['no-resume'],
    staticFiles: dashboardFiles(),
    ...(allowHosts ? { allowHosts } : {}),
    ...(values['files-dir'] ? { filesDir: values['files-dir'] } : {}),
    ...(values['allow-origin'] ? { allowOrigin: values['allow-origin'] } : {}),
    ...((values.token ?? process.env.API_TOKEN) ? { apiToken: values.token ?? process.env.API_TOKEN } : {}),
  });

  const clock = speed === 0 ? 'waits skipped' : speed === 1 ? 'real time' : `${speed}× (a day takes ${(86400 / speed).toFixed(speed >= 86400 ? 2 : 0)} s)`;
  process.stdout.write(
    [
      'step-scheduler local runtime',
      `  HTTP API + dashboard  ${runtime.url}   (dashboard: open ${runtime.url}/ in a browser)`,
      `  Step Functions        ${runtime.sfnEndpoint}   (state machine ${runtime.stateMachineArn})`,
      `  DynamoDB              ${runtime.dynamoEndpoint}   (table ${runtime.tableName}, ${values.memory ? 'in memory' : `on disk in ${values['data-dir'] ?? '.data'}`})`,
      `  clock                 ${clock}`,
      `  webhook guard         public addresses only${allowHosts ? `, and ${allowHosts}` : ''}`,
      `  files                 ${runtime.filesDir ? `jobs may read and write inside ${runtime.filesDir} only` : 'none (file: data sources and file destinations refused; --files-dir DIR)'}`,
      `  browser origins       this one only${values['allow-origin'] ? `, and ${values['allow-origin']}` : ''}`,
      `  endpoint keys         AWS_ACCESS_KEY_ID=${runtime.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${runtime.credentials.secretAccessKey}   (DynamoDB and Step Functions refuse any other)`,
      `  resumed               ${runtime.resumed.length} unfinished job(s)${runtime.resumed.length ? `: ${runtime.resumed.join(', ')}` : ''}` +
        (runtime.resumedRequests.length ? `, ${runtime.resumedRequests.length} trigger/backfill request(s): ${runtime.resumedRequests.join(', ')}` : ''),
      '',
      `  try: curl -s -X POST ${runtime.url}/jobs -H 'content-type: application/json' -d @mocks/job.json`,
      `  sls invoke local: AWS_ACCESS_KEY_ID=${runtime.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${runtime.credentials.secretAccessKey} TABLE_NAME=${runtime.tableName} DYNAMODB_ENDPOINT=${runtime.dynamoEndpoint} npx sls invoke local -f task --path mocks/task-collection.json`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    runtime.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const err = error as { code?: string; message?: string };
  if (err.code === 'EADDRINUSE') fail(`a port is already in use (${err.message}); pick others with --port, --sfn-port, --dynamo-port (0 = any free port)`);
  process.stderr.write(`${err.message ?? String(error)}\n`);
  process.exit(1);
});

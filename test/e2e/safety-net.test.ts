/**
 * `npm start`'s process-level safety net: dynalite overflows its stack on an item nested 1,000 levels
 * deep, from a callback no handler can catch. The API's depth bound keeps such items away; this sends one
 * straight to the DynamoDB endpoint (with the runtime's keys, as `sls invoke local` could) and checks the
 * runtime logs the exception and goes on serving.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

it('logs an exception thrown inside dynalite and keeps serving', async () => {
  child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/local/cli.ts', '--port', '0', '--sfn-port', '0', '--dynamo-port', '0', '--memory', '--fast'], {
    cwd: root,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!/Ctrl-C stops it/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`runtime did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const api = /HTTP API \+ dashboard\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  const dynamo = /DynamoDB\s+(http:\/\/127\.0\.0\.1:\d+)\s+\(table (\S+),/.exec(output);
  const keyId = /AWS_ACCESS_KEY_ID=(\S+)/.exec(output)?.[1];
  expect([api, dynamo?.[1], keyId].every(Boolean)).toBe(true);

  const levels = 1000;
  const deep = `${'{"M":{"a":'.repeat(levels)}{"S":"x"}${'}}'.repeat(levels)}`;
  const sent = await fetch(dynamo![1]!, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.PutItem',
      'x-amz-date': '20260101T000000Z',
      // The endpoint checks the key id; dynalite checks no signature.
      authorization: `AWS4-HMAC-SHA256 Credential=${keyId}/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: `{"TableName":"${dynamo![2]}","Item":{"pk":{"S":"JOB#deep"},"sk":{"S":"JOB"},"deep":${deep}}}`,
    // dynalite never answers the request it died on.
    signal: AbortSignal.timeout(3_000),
  }).then(
    (response) => response.status,
    () => 'no answer',
  );
  const health = await fetch(`${api}/health`);
  const created = await fetch(`${api}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'after-the-crash', startDateTime: '2099-01-01T00:00:00Z', action: { type: 'message', text: 'still here' } }),
  });

  expect(sent).toBe('no answer');
  expect(output).toMatch(/uncaught exception \(the runtime goes on serving; please report it\): RangeError: Maximum call stack size exceeded/);
  expect(child.exitCode).toBeNull();
  expect(health.status).toBe(200);
  expect(created.status).toBe(201);
}, 60_000);

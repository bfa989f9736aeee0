/**
 * `npm start`'s program as a child process on a data folder of its own, for e2e tests that kill it with
 * SIGKILL and start it again on the same folder and ports (test/e2e/kill.test.ts,
 * test/e2e/pause-catchup-kill.test.ts).
 *
 * @example
 * const setup = await childConfig(3600);
 * let runtime = await startChildRuntime(setup);
 * await kill9(runtime);
 * runtime = await startChildRuntime(setup);
 * afterAll(cleanUpChildren);
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { callJson } from './http';

const root = path.resolve(__dirname, '../..');

/** A port free right now on loopback, so a restart can take the same one again. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ChildRuntime {
  child: ChildProcess;
  url: string;
  dynamoEndpoint: string;
  tableName: string;
  /** The keys the runtime's endpoints accept, when it prints them (any key works when it does not). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  output: () => string;
}

export interface ChildRuntimeConfig {
  dataDir: string;
  speed: number;
  ports: { api: number; sfn: number; dynamo: number };
}

const children: ChildProcess[] = [];
const folders: string[] = [];

/** A fresh data folder and free ports for one runtime that will be killed and restarted. */
export async function childConfig(speed: number): Promise<ChildRuntimeConfig> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'step-scheduler-kill-'));
  folders.push(dataDir);
  return { dataDir, speed, ports: { api: await freePort(), sfn: await freePort(), dynamo: await freePort() } };
}

/** Start `npm start`'s program on the config's folder and ports; resolves once it printed what it resumed. */
export async function startChildRuntime(config: ChildRuntimeConfig): Promise<ChildRuntime> {
  const { api, sfn, dynamo } = config.ports;
  const args = ['-r', 'ts-node/register/transpile-only', 'src/local/cli.ts', '--port', String(api), '--sfn-port', String(sfn), '--dynamo-port', String(dynamo)];
  args.push('--data-dir', config.dataDir, '--speed', String(config.speed), '--allow-hosts', '127.0.0.1');
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /HTTP API \+ dashboard\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    const store = /DynamoDB\s+(http:\/\/127\.0\.0\.1:\d+)\s+\(table ([^,]+),/.exec(output);
    if (url && store?.[1] && store[2] && /resumed/.test(output)) {
      const keys = /AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)/.exec(output);
      const credentials = keys?.[1] && keys[2] ? { accessKeyId: keys[1], secretAccessKey: keys[2] } : { accessKeyId: 'local', secretAccessKey: 'local' };
      return { child, url, dynamoEndpoint: store[1], tableName: store[2], credentials, output: () => output };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`runtime did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SIGKILL the runtime and wait for it to be gone. */
export async function kill9(runtime: ChildRuntime): Promise<void> {
  if (runtime.child.exitCode !== null) return;
  const exited = new Promise((resolve) => runtime.child.once('exit', resolve));
  runtime.child.kill('SIGKILL');
  await exited;
}

/** A document client on the runtime's DynamoDB endpoint, numbers read as numbers. */
export function documents(runtime: ChildRuntime): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoEndpoint, region: 'us-east-1', credentials: runtime.credentials }), {
    unmarshallOptions: { wrapNumbers: (value: string) => Number(value) },
  });
}

/** The runtime's own (warped) clock, in ms. */
export async function runtimeNow(runtime: ChildRuntime): Promise<number> {
  const { body } = await callJson(runtime.url, 'GET', '/health');
  return Date.parse((body as { now: string }).now);
}

/** Kill every child still running and remove every data folder: the test file's afterAll. */
export async function cleanUpChildren(): Promise<void> {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
}

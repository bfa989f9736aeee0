/**
 * Configuration, read from the environment once per container through one helper that names what is
 * missing. On AWS serverless.ts sets these; the local runtime sets the same names to loopback endpoints.
 */
import { ConfigurationError } from '../lib/errors';

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(
      `environment variable ${name} is not set` +
        (name === 'TABLE_NAME' || name === 'DYNAMODB_ENDPOINT'
          ? ' (to run locally, start the embedded runtime with `npm start` and use the endpoint it prints)'
          : ''),
    );
  }
  return value;
}

export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Keys for a loopback endpoint: the local runtime generates them at each start (src/local/credentials.ts). */
export interface EndpointCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StoreConfig {
  tableName: string;
  /** Set only off AWS: the local runtime's dynalite. */
  endpoint?: string;
  /** The local runtime's own keys for that endpoint; absent: the SDK's usual chain (environment, profile). */
  credentials?: EndpointCredentials;
}

/** Read lazily (first use) and then kept: a handler that never touches the store never needs its config. */
export function storeConfig(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  return { tableName: requireEnv('TABLE_NAME', env), endpoint: optionalEnv('DYNAMODB_ENDPOINT', env) };
}

/**
 * Client options for an endpoint: none on AWS (the SDK finds region and role itself); for a loopback
 * endpoint (dynalite, the local SFN endpoint) a region and the keys the local runtime accepts — given by
 * the runtime to its own clients, or, for `sls invoke local`, the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
 * it prints (the SDK reads them from the environment). Without either, placeholder keys that the
 * runtime's endpoints refuse, so the error says what is missing rather than the SDK hunting for a profile.
 * @example clientOptions('http://127.0.0.1:8000', process.env, runtime.credentials) // { endpoint, region: 'us-east-1', credentials: { … } }
 */
export function clientOptions(endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env, credentials?: EndpointCredentials) {
  if (endpoint === undefined) return {};
  const fallback = optionalEnv('AWS_ACCESS_KEY_ID', env) ? {} : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  return {
    endpoint,
    region: optionalEnv('AWS_REGION', env) ?? 'us-east-1',
    ...(credentials ? { credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey } } : fallback),
  };
}

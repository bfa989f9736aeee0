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

export interface StoreConfig {
  tableName: string;
  /** Set only off AWS: the local runtime's dynalite. */
  endpoint?: string;
}

/** Read lazily (first use) and then kept: a handler that never touches the store never needs its config. */
export function storeConfig(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  return { tableName: requireEnv('TABLE_NAME', env), endpoint: optionalEnv('DYNAMODB_ENDPOINT', env) };
}

/**
 * Client options for an endpoint: none on AWS (the SDK finds region and role itself); for a loopback
 * endpoint (dynalite, the local SFN endpoint) a region and dummy keys unless the shell has its own, since
 * the SDK signs every request and the local servers accept any signature.
 * @example clientOptions('http://127.0.0.1:8000') // { endpoint, region: 'us-east-1', credentials: { … } }
 */
export function clientOptions(endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env) {
  if (endpoint === undefined) return {};
  return {
    endpoint,
    region: optionalEnv('AWS_REGION', env) ?? 'us-east-1',
    ...(optionalEnv('AWS_ACCESS_KEY_ID', env) ? {} : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  };
}

/**
 * api Lambda: builds the API's ports once per container from the AWS adapters and hands every event to
 * the app (app.ts). The local runtime calls `createApi` itself with the same adapters on loopback.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { now } from '../../common/clock';
import { optionalEnv } from '../../common/config';
import { dynamoStores } from '../../adapters/store';
import { runDurations } from '../../adapters/dynamodb-stats';
import { executionService } from '../../adapters/sfn';
import { netGuardFromEnv } from '../../adapters/guarded-http';
import { createApi, type ApiHandler } from './app';
import { DASHBOARD_FILES } from './dashboard-assets';
import { toHttpResponse } from './http';

let app: ApiHandler | undefined;

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    app ??= createApi({
      store: dynamoStores().jobs,
      extras: dynamoStores().requests,
      runs: dynamoStores().runs,
      executions: executionService(),
      runDurations: runDurations(),
      now,
      apiToken: optionalEnv('API_TOKEN'),
      urlGuard: netGuardFromEnv(process.env),
      dashboard: DASHBOARD_FILES,
    });
  } catch (error) {
    // Missing configuration (TABLE_NAME, STATE_MACHINE_ARN): logged by name, answered as a plain 500.
    return toHttpResponse(error);
  }
  return app(event);
}

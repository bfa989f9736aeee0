/** api Lambda: placeholder until the job store and API land; every route answers 501 in JSON. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return {
    statusCode: 501,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code: 'NOT_IMPLEMENTED', message: `${event.httpMethod} ${event.path} is not implemented yet` } }),
  };
}

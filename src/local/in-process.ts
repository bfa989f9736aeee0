/**
 * An SDK client transport that stays in this process: the local runtime's own clients hand their requests
 * to the local service (dynalite, the local Step Functions endpoint) directly, with no socket, no Node HTTP
 * client or server and no parse of the request on either side. Everything above it (the SDK's
 * serialisation, middleware, signing, retries, error parsing) and the service's own handling are the code
 * that runs over the port; only the transport is skipped.
 * Why: over loopback each call paid a socket write and read, HTTP parsing on both sides and a connection
 * pool; in a burst of due runs that serialized CPU is most of the lateness (README, Benchmarks).
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/** The smithy HttpHandler shape every SDK v3 client's `requestHandler` option takes. */
export type InProcessHandler = NonNullable<DynamoDBClientConfig['requestHandler']>;

/** A request as the service sees it: header names lower-cased, the body as bytes. */
export interface InProcessRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface InProcessResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What a smithy HttpRequest carries that the local services read. */
interface SmithyRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * A client transport that answers with `serve`.
 * @example new DynamoDBClient({ endpoint, credentials, requestHandler: inProcessHandler(serve) })
 */
export function inProcessHandler(serve: (request: InProcessRequest) => InProcessResponse | Promise<InProcessResponse>): InProcessHandler {
  return {
    metadata: { handlerProtocol: 'in-process' },
    async handle(request: SmithyRequest) {
      // The SDK's JSON body is a Uint8Array subclass whose valueOf() is a string: viewed, not converted.
      const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body instanceof Uint8Array ? Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength) : Buffer.alloc(0);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
      // Where a socket write would end the caller's turn: the service's work waits for the next turn of the
      // event loop, so every other timer due now (a burst of due runs) reaches its own first call first.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const answer = await serve({ method: request.method, path: request.path || '/', headers, body });
      // The SDK reads a Uint8Array body as it is (collectBody), as it would a stream's bytes.
      return { response: { statusCode: answer.statusCode, reason: undefined, headers: answer.headers, body: new Uint8Array(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength) } };
    },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs(): Record<string, never> {
      return {};
    },
    destroy(): void {},
    // The smithy HttpHandler type is generic over its own request class; the SDK hands a plain HttpRequest
    // whose fields SmithyRequest names, so the structural object is cast once here.
  } as unknown as InProcessHandler;
}

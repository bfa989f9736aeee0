/**
 * The keys the local runtime's loopback endpoints (DynamoDB, Step Functions) accept: generated at each
 * start, used by the runtime's own clients, printed for `sls invoke local`. Any other local process — a
 * script, a browser's fetch to 127.0.0.1 — is refused before the service sees the request, so it can
 * neither read the jobs nor change them. On loopback the access key id in the SigV4 `Authorization`
 * header is enough: the secret never leaves the process except in the printed banner.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * A fresh key pair in AWS's shapes (an `AKIA…`-like id of 20 characters, a 40-character secret).
 * @example generateCredentials() // { accessKeyId: 'LOCALK3J…', secretAccessKey: '…' }
 */
export function generateCredentials(): LocalCredentials {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const id = [...randomBytes(15)].map((byte) => alphabet[byte % 32]).join('');
  return { accessKeyId: `LOCAL${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}

/**
 * The access key id of a SigV4 `Authorization` header (`AWS4-HMAC-SHA256 Credential=<id>/<date>/…`).
 * @example accessKeyIdOf('AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, …') // 'AKID'
 */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\//.exec(authorization.trim())?.[1];
}

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Answer and return true when the request does not carry the runtime's access key id; return false to go
 * on. The refusal is the services' own JSON error (400, `MissingAuthenticationTokenException` without a
 * signature, `UnrecognizedClientException` with another key), so SDK clients report it as such.
 * @example if (refuseUnlessSigned(req, res, credentials)) return;
 */
export function refuseUnlessSigned(req: http.IncomingMessage, res: http.ServerResponse, credentials: LocalCredentials): boolean {
  const keyId = accessKeyIdOf(req.headers.authorization);
  if (keyId !== undefined && sameKey(keyId, credentials.accessKeyId)) return false;
  const body =
    keyId === undefined
      ? { __type: 'com.amazon.coral.service#MissingAuthenticationTokenException', message: 'Request is missing Authentication Token' }
      : { __type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  // Drain what was sent, so the connection can answer; nothing of it is read.
  req.resume();
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomBytes(16).toString('hex') }).end(JSON.stringify(body));
  return true;
}

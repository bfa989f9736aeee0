/**
 * Writes the OpenAPI document (src/openapi/document.ts) to each path given, for API Gateway import and
 * for readers of the repository: `npm run openapi` refreshes docs/openapi.json (a test fails when the
 * committed file is not what the schemas give), `npm run package` also writes .serverless/openapi.json
 * beside the CloudFormation template.
 *
 *   ts-node --transpile-only scripts/openapi.ts docs/openapi.json [--server https://…/dev]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { openApiDocument } from '../src/openapi/document';

/** The document as written to disk: two-space JSON and a final newline. */
export function openApiFileText(serverUrl?: string): string {
  return `${JSON.stringify(openApiDocument(serverUrl === undefined ? {} : { serverUrl }), null, 2)}\n`;
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ options: { server: { type: 'string' } }, allowPositionals: true });
  if (positionals.length === 0) {
    console.error('usage: scripts/openapi.ts <out.json>… [--server URL]');
    process.exit(2);
  }
  const text = openApiFileText(values.server);
  for (const path of positionals) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${path} (${Buffer.byteLength(text)} bytes)`);
  }
}

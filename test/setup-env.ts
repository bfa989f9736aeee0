// Tests never reach AWS: clients point at loopback servers the tests start, and need some credentials
// and a region to sign requests with.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
// Handlers log structured JSON; tests assert on behaviour, so keep the output readable.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

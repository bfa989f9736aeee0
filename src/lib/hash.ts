/**
 * SHA-256 and random bytes for the domain's names and spreads, with node:crypto loaded on first use: the
 * calculator hashes only for a flexible window or a name past Step Functions' 80 characters, and requiring
 * node:crypto at import was ~7 ms of its ~55 ms cold load (bench/bundles.ts). The functions that reach AWS
 * load it anyway, through the SDK.
 */
let loaded: typeof import('node:crypto') | undefined;
const crypto = () => (loaded ??= process.getBuiltinModule('node:crypto'));

/** @example sha256('a:3').readUInt32BE(0) // the same number on every machine */
export function sha256(data: string): Buffer {
  return crypto().createHash('sha256').update(data).digest();
}

/**
 * 8 hex digits of a value's SHA-256: what a name cut short to fit a limit keeps, so two long values that
 * share their first characters still get different names.
 * @example shortHash('daily') // '6f31304c'
 */
export function shortHash(value: string): string {
  return sha256(value).toString('hex').slice(0, 8);
}

/** @example randomHex(3) // '3fa9c2' */
export function randomHex(bytes: number): string {
  return crypto().randomBytes(bytes).toString('hex');
}

/** Small helpers for end-to-end tests that talk to a runtime over HTTP. */

/** The JSON API's answers have many shapes; each test asserts on the fields it reads. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJson = any;

/** Call `baseUrl + path` with a JSON body; resolves with the status and the parsed body (null when empty). */
export async function callJson(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: AnyJson }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as AnyJson) : null };
}

/** Probe every 50 ms until `done` holds; throws with the last value after `timeoutMs`. */
export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

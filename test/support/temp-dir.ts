import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A fresh folder under the OS temp folder for one test file, made before its tests and removed after them.
 * @returns the folder's path, readable once the file's beforeAll hooks have run
 * @example const dir = useTempDir('bench-smoke-'); it('…', () => writeFileSync(path.join(dir(), 'x'), ''));
 */
export function useTempDir(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (dir === undefined) throw new Error('useTempDir: the folder exists from beforeAll on');
    return dir;
  };
}

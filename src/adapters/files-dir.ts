/**
 * The one folder jobs may read (`file:` data sources) and write (`file` failure destinations): off unless
 * the operator names it (`npm start -- --files-dir DIR`), never the store's own files, and never on AWS.
 * Checked at submit (the API answers 400 naming the field) and again at use, with links resolved, so a
 * console execution or a link swapped in later cannot lead out. A refusal says only that the path is
 * outside the folder: whether anything exists out there is not told.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError, PermanentError } from '../lib/errors';

/** Why file access is refused when no folder is configured. */
export const FILES_OFF = 'file access is off: the local runtime reads and writes files only inside the folder given with --files-dir, and AWS never';

function inside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The real path of the deepest part of `target` that exists, and the rest below it. */
async function realExisting(target: string): Promise<string> {
  let existing = target;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(await realpath(existing), ...rest.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = path.dirname(existing);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === existing) throw error;
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}

export class FilesDir {
  private constructor(
    /** The folder's real path. */
    readonly root: string,
  ) {}

  /**
   * The folder, checked once at start: it exists, is a folder, and neither holds nor lies inside any of
   * the runtime's own paths (its DynamoDB folder, its outbox).
   * @example await FilesDir.open('/srv/jobs-files', ['.data/dynamodb', '.data/outbox.ndjson'])
   */
  static async open(dir: string, ownPaths: readonly string[]): Promise<FilesDir> {
    let root: string;
    try {
      root = await realpath(path.resolve(dir));
      if (!(await stat(root)).isDirectory()) throw new ConfigurationError(`--files-dir ${dir} is not a folder`);
    } catch (error) {
      if (error instanceof ConfigurationError) throw error;
      throw new ConfigurationError(`--files-dir ${dir} cannot be used (${(error as NodeJS.ErrnoException).code ?? String(error)}); create the folder first`);
    }
    for (const own of ownPaths) {
      const real = await realExisting(path.resolve(own));
      if (inside(root, real) || inside(real, root)) {
        throw new ConfigurationError(`--files-dir ${dir} overlaps the runtime's own ${own}; give a folder that holds none of the store's files`);
      }
    }
    return new FilesDir(root);
  }

  /**
   * The real path of `location` (absolute, or relative to the folder) when it is inside the folder,
   * links resolved as far as the path exists; PermanentError otherwise.
   * @example await files.resolve('failures.ndjson', 'failure destination file') // '/srv/jobs-files/failures.ndjson'
   */
  async resolve(location: string, what: string): Promise<string> {
    const refused = () => new PermanentError(`${what} ${location} is outside the files folder (--files-dir); only files inside it may be used`);
    const target = path.resolve(this.root, location);
    // Judged on the path as written first, so nothing outside is ever looked at.
    if (!inside(this.root, target) || target === this.root) throw refused();
    // A path that cannot be resolved (EACCES on a folder a link leads to) is refused in the same words.
    const real = await realExisting(target).catch(() => undefined);
    if (real === undefined || !inside(this.root, real) || real === this.root) throw refused();
    return real;
  }
}

/**
 * Why a job's file location cannot be used, or undefined: the check `POST /jobs` runs (400 naming the
 * field). `location` is a `file:` URL for data sources and a path for failure destinations.
 * @example await fileRefusal(undefined, 'file:///etc/passwd', 'data source') // 'file access is off: …'
 */
export async function fileRefusal(files: FilesDir | undefined, location: string, what: string): Promise<string | undefined> {
  if (files === undefined) return FILES_OFF;
  let filePath = location;
  if (/^file:/i.test(location)) {
    try {
      filePath = fileURLToPath(location);
    } catch {
      return `${what} ${location} is not a local file URL (file:///path)`;
    }
  }
  try {
    await files.resolve(filePath, what);
    return undefined;
  } catch (error) {
    if (error instanceof PermanentError) return error.message;
    throw error;
  }
}

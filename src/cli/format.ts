/** Human output of the command-line client: borderless tables (cli-table3) and short lines. */
import Table from 'cli-table3';

/** No box: columns aligned by spaces, so `grep` and `awk` still work on the lines. */
const PLAIN_CHARS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '  ',
};

/**
 * A table of rows under a header; empty cells as `-`.
 * @example table(['JOB', 'STATUS'], [['daily', 'SCHEDULED']]) // 'JOB    STATUS   \ndaily  SCHEDULED'
 */
export function table(head: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  const out = new Table({ head, chars: PLAIN_CHARS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  for (const row of rows) out.push(row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell))));
  return out
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** `key: value` lines, keys aligned. */
export function fields(pairs: Array<[string, unknown]>): string {
  const width = Math.max(...pairs.map(([key]) => key.length));
  return pairs
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${value === null ? '-' : typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join('\n');
}

/** `1.2 s`, `340 ms`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** A run's error in one short line. */
export function errorText(error: unknown): string {
  if (error === null || error === undefined) return '';
  const text = typeof error === 'string' ? error : typeof error === 'object' && 'message' in error ? String((error as { message: unknown }).message) : JSON.stringify(error);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * DynamoDB expressions for the store: the UpdateExpression builder every conditional write goes through,
 * and the condition fragments the stores share.
 */
import { FINAL_STATUSES } from '../../lib/status';

/** `NOT #status IN (...)`: the job is still going. Values are bound by `finalValues()`. */
const FINAL_PLACEHOLDERS = FINAL_STATUSES.map((_, i) => `:final${i}`);
export const NOT_FINAL = `NOT #status IN (${FINAL_PLACEHOLDERS.join(', ')})`;
export const IS_FINAL = `#status IN (${FINAL_PLACEHOLDERS.join(', ')})`;
export function finalValues(): Record<string, string> {
  return Object.fromEntries(FINAL_STATUSES.map((status, i) => [`:final${i}`, status]));
}

/**
 * Collects an UpdateExpression with every attribute name aliased (`status`, `state`, `result`… are
 * reserved words), so callers write `#status` in conditions and call `names()` for the aliases.
 * @example new Update().set('status', 'PAUSED').build('attribute_exists(pk)')
 */
export class Update {
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly attributeNames: Record<string, string> = {};
  private readonly attributeValues: Record<string, unknown> = {};

  /** `a.b` → `#a.#b`, registering the aliases. */
  path(path: string): string {
    return path
      .split('.')
      .map((part) => {
        this.attributeNames[`#${part}`] = part;
        return `#${part}`;
      })
      .join('.');
  }

  /** Bind a value; returns its placeholder. */
  value(name: string, value: unknown): string {
    const placeholder = `:${name}`;
    this.attributeValues[placeholder] = value;
    return placeholder;
  }

  /** `SET path = value`; an undefined value sets nothing. */
  set(path: string, value: unknown): this {
    if (value !== undefined) this.sets.push(`${this.path(path)} = ${this.value(`set_${path.replace(/\./g, '_')}`, value)}`);
    return this;
  }

  /** `SET path = if_not_exists(path, 0) + n`: a counter moved by arithmetic in the write itself. */
  increment(path: string, by: number): this {
    if (by === 0) return this;
    const alias = this.path(path);
    this.sets.push(`${alias} = if_not_exists(${alias}, ${this.value('zero', 0)}) + ${this.value(`inc_${path.replace(/\./g, '_')}`, by)}`);
    return this;
  }

  /** `SET path = list_append(if_not_exists(path, []), items)`: a list grown by the write itself. */
  append(path: string, items: readonly unknown[]): this {
    const alias = this.path(path);
    this.sets.push(`${alias} = list_append(if_not_exists(${alias}, ${this.value('emptyList', [])}), ${this.value(`append_${path.replace(/\./g, '_')}`, items)})`);
    return this;
  }

  /** A SET clause written out (for what `set`, `increment` and `append` do not say); placeholders are bound with `values`. */
  setExpression(expression: string): this {
    this.sets.push(expression);
    return this;
  }

  remove(...paths: string[]): this {
    for (const path of paths) this.removes.push(this.path(path));
    return this;
  }

  /** A REMOVE path written out (a list element: `#log[0]`); its names are bound with `names`. */
  removeExpression(path: string): this {
    this.removes.push(path);
    return this;
  }

  names(...names: string[]): this {
    for (const name of names) this.path(name);
    return this;
  }

  values(values: Record<string, unknown>): this {
    Object.assign(this.attributeValues, values);
    return this;
  }

  build(condition?: string) {
    const clauses = [
      this.sets.length > 0 ? `SET ${this.sets.join(', ')}` : '',
      this.removes.length > 0 ? `REMOVE ${this.removes.join(', ')}` : '',
    ].filter(Boolean);
    return {
      UpdateExpression: clauses.join(' '),
      ...(condition === undefined ? {} : { ConditionExpression: condition }),
      ExpressionAttributeNames: this.attributeNames,
      ...(Object.keys(this.attributeValues).length > 0 ? { ExpressionAttributeValues: this.attributeValues } : {}),
    };
  }
}

export function iso(date: Date): string {
  return date.toISOString();
}

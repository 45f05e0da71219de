// The one way SQL reaches the database: a tagged template that binds every interpolated value as a
// parameter, so no value is ever spliced into SQL text (and slow-query logs never contain values).

export type SqlValue = string | number | bigint | boolean | Uint8Array | null;

const FRAGMENT = Symbol('sql fragment');

/** A piece of SQL with its bound values. Only `sql` and its helpers can build one. */
export interface SqlQuery {
  readonly [FRAGMENT]: true;
  readonly text: string;
  readonly values: readonly (string | number | bigint | Uint8Array | null)[];
}

function fragment(text: string, values: SqlQuery['values']): SqlQuery {
  return { [FRAGMENT]: true, text, values };
}

function isQuery(value: unknown): value is SqlQuery {
  return typeof value === 'object' && value !== null && FRAGMENT in value;
}

function bindable(value: SqlValue): string | number | bigint | Uint8Array | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return value;
}

/**
 * sql`SELECT * FROM messages WHERE id = ${id}` → text with `?` placeholders and values in order.
 * A nested sql`` fragment is inlined with its own values, which is how lists and optional clauses compose.
 */
export function sql(strings: TemplateStringsArray, ...params: readonly (SqlValue | SqlQuery)[]): SqlQuery {
  let text = strings[0] ?? '';
  const values: (string | number | bigint | Uint8Array | null)[] = [];
  params.forEach((param, i) => {
    if (isQuery(param)) {
      text += param.text;
      values.push(...param.values);
    } else if (param === undefined) {
      // An undefined here is always a bug in the caller (a missing field), never a NULL.
      throw new TypeError(`sql: parameter ${i} is undefined`);
    } else {
      text += '?';
      values.push(bindable(param));
    }
    text += strings[i + 1] ?? '';
  });
  return fragment(text, values);
}

/** Joins fragments or values with a separator: sql`WHERE id IN (${sql.join(ids)})`. */
sql.join = function join(items: readonly (SqlValue | SqlQuery)[], separator = ', '): SqlQuery {
  const parts = items.map((item) => (isQuery(item) ? item : sql`${item}`));
  return fragment(
    parts.map((p) => p.text).join(separator),
    parts.flatMap((p) => p.values),
  );
};

/** An empty fragment, for optional clauses. */
sql.empty = fragment('', []);

// Table and column names as SQL fragments. They come from our own table list and from
// pragma_table_xinfo, never from a backup's bytes unchecked, and are validated and quoted here.
import { WispError } from '../../common/errors';
import { sql, type SqlQuery } from '../store/sql';

export function ident(name: string): SqlQuery {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new WispError('Internal', 'not a plain SQL identifier');
  const text = `"${name}"`;
  return sql(Object.assign([text], { raw: [text] }));
}

export interface ColumnInfo {
  name: string;
  /** 0 for an ordinary column; 2 and 3 mark generated columns (never carried). */
  hidden: number;
}

export function storedColumns(read: { all<T>(query: SqlQuery): T[] }, table: string): string[] {
  return read
    .all<ColumnInfo>(sql`SELECT name, hidden FROM pragma_table_xinfo(${table})`)
    .filter((c) => c.hidden === 0)
    .map((c) => c.name);
}

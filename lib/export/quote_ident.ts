/**
 * SQL identifiers: how a table or column name from the catalog reaches SQL.
 *
 * @module
 */

/**
 * Quotes a name as an SQL identifier, as SQLite and PostgreSQL both read it:
 * in double quotes, with each double quote doubled. Names still come from the
 * catalog only; quoting keeps odd ones (`we"ird`, `odd.csv`) intact.
 *
 * @param name The name.
 * @returns The quoted identifier.
 * @example
 * ```ts
 * quoteIdent('we"ird'); // '"we""ird"'
 * ```
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

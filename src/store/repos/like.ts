// Keyword search shared by the List* repositories: case-insensitive "contains".
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';

/**
 * A LIKE pattern for "contains `text`", with LIKE's wildcards escaped by '!' (ESCAPE '!'
 * works on SQLite and PostgreSQL alike). Escaping, not stripping: names may contain '_'
 * (the SDK's own ListCsr example is `test_name`, CAS API reference, CSR actions).
 */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/** `lower(expr) LIKE '%text%' ESCAPE '!'`. */
export function containsText(expr: Expression<unknown>, text: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`lower(${expr}) like ${containsPattern(text)} escape '!'`;
}

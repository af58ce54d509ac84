import type { ColumnDefinitionBuilder } from 'kysely';
import type { StoreKind } from '../store.js';

export interface MigrationContext {
  kind: StoreKind;
}

/** Ids stay below 2^53 either way (schema.ts): INTEGER on SQLite, BIGSERIAL on PostgreSQL. */
export function idColumn(kind: StoreKind): 'integer' | 'bigserial' {
  return kind === 'postgres' ? 'bigserial' : 'integer';
}

export function primaryKey(kind: StoreKind): (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  return (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey());
}

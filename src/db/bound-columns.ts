import { ReferenceKind, type EntityName, type EntityProperty } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface BoundColumns {
  /** Quoted column names, in the order of `params`. */
  columns: string[];
  /** A placeholder per column, cast to the column's type: for values that are not in a VALUES list. */
  typedPlaceholders: string[];
  params: unknown[];
}

/**
 * The columns and values of `values` (by entity property name) as a flush would write them: named
 * by the entity's mapping, custom types (a sealed column, JSON, bigint) converted by their type.
 * For statements that write several tables at once through `em.execute`, where the unit of work
 * would take a round trip per table.
 */
export function boundColumns<T extends object>(em: EntityManager, entity: EntityName<T>, values: Partial<T>): BoundColumns {
  const meta = em.getMetadata(entity);
  const platform = em.getPlatform();
  const bound: BoundColumns = { columns: [], typedPlaceholders: [], params: [] };
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const property = (meta.properties as Record<string, EntityProperty<T> | undefined>)[name];
    if (!property || property.kind !== ReferenceKind.SCALAR) throw new Error(`${meta.className}.${name} is not a column`);
    bound.columns.push(`"${property.fieldNames[0]}"`);
    bound.typedPlaceholders.push(`?::${property.columnTypes[0]}`);
    bound.params.push(property.customType && value !== null ? property.customType.convertToDatabaseValue(value, platform, { mode: 'query-data' }) : value);
  }
  return bound;
}

/** Every column of `entity` with its value, for an insert of the whole row. */
export function scalarValues<T extends object>(em: EntityManager, entity: EntityName<T>, row: T): Partial<T> {
  const values: Partial<T> = {};
  for (const property of em.getMetadata(entity).props) {
    if (property.kind === ReferenceKind.SCALAR && property.persist !== false) values[property.name] = row[property.name];
  }
  return values;
}

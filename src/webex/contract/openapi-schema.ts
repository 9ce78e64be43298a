import type { JsonObject, SchemaObject } from './openapi.types';

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keywords whose value is a map of names to schemas: the keys are property names, never keywords. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties']);
const ONE_SCHEMA = new Set(['items', 'additionalProperties', 'not']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);

/**
 * A copy of `schema` with `f` applied to each direct subschema. Walking by keyword matters: a
 * property may be named like a keyword (Webex's Room has a `description`), and is not one.
 */
export function mapSubschemas(schema: SchemaObject, f: (subschema: SchemaObject) => SchemaObject): SchemaObject {
  const out: SchemaObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (SCHEMA_MAPS.has(key) && isJsonObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, isJsonObject(sub) ? f(sub) : sub]),
      );
    } else if (ONE_SCHEMA.has(key) && isJsonObject(value)) {
      out[key] = f(value);
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      out[key] = value.map((sub: unknown) => (isJsonObject(sub) ? f(sub) : sub));
    } else {
      out[key] = value;
    }
  }
  return out;
}

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isJsonObject, mapSubschemas } from './openapi-schema';
import type {
  HttpMethod,
  JsonObject,
  OpenApiDocument,
  OperationObject,
  ParameterObject,
  ResponseObject,
  SchemaObject,
} from './openapi.types';
import { WEBEX_CONTRACT_FILE } from './webex-contract';

// Makes src/webex/contract/webex-messaging.openapi.json from Webex's full description:
//   npx ts-node --transpile-only src/webex/contract/trim-openapi.ts <path-to>/webex-messaging.json
// The README beside this file says what is dropped and what is added, as the licence asks.

/** The operations the service calls or is about to call. */
export const KEPT_OPERATIONS: readonly (readonly [HttpMethod, string])[] = [
  ['get', '/people/me'],
  ['get', '/rooms'],
  ['get', '/rooms/{roomId}'],
  ['get', '/memberships'],
];

/** Prose and grouping: they explain, but constrain nothing a validator checks. */
const DROPPED = new Set(['description', 'example', 'examples', 'summary', 'externalDocs', 'title', 'tags']);

/**
 * Limits Webex states only in prose, which the trim drops, so they are kept as schema keywords.
 * Each is checked against the prose it comes from, so a regenerated copy cannot carry a stale one.
 */
const LIMITS_FROM_PROSE = [
  {
    operation: '/rooms',
    parameter: 'max',
    prose: /between 1 and 1000, inclusive/,
    keywords: { minimum: 1, maximum: 1000 },
  },
];

const SCHEMA_REF = /^#\/components\/schemas\/([^/]+)$/;

const ATTRIBUTION =
  'Webex OpenAPI Specifications, © Cisco Systems, Inc., CC BY 4.0 (webex/webex-openapi-specs, ' +
  'public-spec/webex-messaging.json), trimmed to the operations this service uses: see README.md beside this file.';

function withoutProse(node: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(node).filter(([key]) => !DROPPED.has(key)));
}

/** Also collects the component schemas it refers to, so they can be kept transitively. */
function trimSchema(schema: SchemaObject, refs: Set<string>): SchemaObject {
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = SCHEMA_REF.exec(ref)?.[1];
    if (!name) throw new Error(`Only #/components/schemas/ references are supported, not ${ref}.`);
    refs.add(name);
  }
  return mapSubschemas(withoutProse(schema), (sub) => trimSchema(sub, refs));
}

function trimParameter(parameter: ParameterObject, limits: JsonObject | undefined, refs: Set<string>): JsonObject {
  if (typeof parameter.$ref === 'string') throw new Error(`Parameter references are not supported: ${parameter.$ref}.`);
  const out = withoutProse(parameter);
  if (isJsonObject(parameter.schema)) out.schema = { ...trimSchema(parameter.schema, refs), ...limits };
  return out;
}

/** OpenAPI 3.0 requires a response description: the reason phrase before Webex's explanation is kept. */
function trimResponse(response: ResponseObject, refs: Set<string>): JsonObject {
  const out: JsonObject = { description: (response.description ?? '').split(':')[0].trim() };
  for (const part of ['headers', 'content'] as const) {
    const entries = response[part];
    if (!entries) continue;
    out[part] = Object.fromEntries(
      Object.entries(entries).map(([name, entry]) => [
        name,
        isJsonObject(entry.schema) ? { schema: trimSchema(entry.schema, refs) } : {},
      ]),
    );
  }
  return out;
}

function trimOperation(path: string, operation: OperationObject, refs: Set<string>): JsonObject {
  const out = withoutProse(operation);
  if (operation.parameters) {
    out.parameters = operation.parameters.map((parameter) => {
      const limit = LIMITS_FROM_PROSE.find((l) => l.operation === path && l.parameter === parameter.name);
      if (limit && !limit.prose.test(String(parameter.description))) {
        throw new Error(`The description of ${path} ${parameter.name} no longer says "${limit.prose.source}".`);
      }
      return trimParameter(parameter, limit?.keywords, refs);
    });
  }
  out.responses = Object.fromEntries(
    Object.entries(operation.responses).map(([status, response]) => [status, trimResponse(response, refs)]),
  );
  return out;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJsonObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}

/** The kept operations with the component schemas they reach, prose dropped, keys sorted. */
export function trimOpenApi(full: OpenApiDocument): OpenApiDocument {
  const refs = new Set<string>();
  const paths: Record<string, JsonObject> = {};
  for (const [method, path] of KEPT_OPERATIONS) {
    const item = full.paths[path];
    const operation = item?.[method];
    if (!operation) throw new Error(`The document has no ${method.toUpperCase()} ${path}.`);
    if (item.parameters) throw new Error(`Path-level parameters on ${path} are not supported.`);
    paths[path] = { ...paths[path], [method]: trimOperation(path, operation, refs) };
  }
  const schemas: Record<string, SchemaObject> = {};
  const pending = [...refs];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (schemas[name]) continue;
    const schema = full.components?.schemas?.[name];
    if (!schema) throw new Error(`The document has no schema ${name}.`);
    const reached = new Set<string>();
    schemas[name] = trimSchema(schema, reached);
    pending.push(...reached);
  }
  return sortKeys({
    openapi: full.openapi,
    info: {
      title: full.info.title,
      version: full.info.version,
      license: { name: 'CC BY 4.0', url: 'https://creativecommons.org/licenses/by/4.0/' },
      'x-attribution': ATTRIBUTION,
    },
    paths,
    components: { schemas },
  }) as OpenApiDocument;
}

/** 2-space JSON and a final newline; Prettier then folds short arrays, as `npm run lint` expects. */
export function renderTrimmed(document: OpenApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

function main(args: string[]): void {
  if (args.length !== 1) throw new Error('usage: trim-openapi.ts <path to the full webex-messaging.json>');
  const full = JSON.parse(readFileSync(args[0], 'utf8')) as OpenApiDocument;
  writeFileSync(WEBEX_CONTRACT_FILE, renderTrimmed(trimOpenApi(full)));
  // As its CLI: Prettier's CommonJS entry loads its core with import(), which Jest (loading this
  // module for its spec) cannot do.
  const prettier = require.resolve('prettier/bin/prettier.cjs');
  execFileSync(process.execPath, [prettier, '--write', WEBEX_CONTRACT_FILE], { stdio: 'inherit' });
  console.log(`wrote ${relative(process.cwd(), WEBEX_CONTRACT_FILE)}`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}

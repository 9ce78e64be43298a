import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapSubschemas } from './openapi-schema';
import {
  HTTP_METHODS,
  type HttpMethod,
  type OpenApiDocument,
  type OperationObject,
  type ParameterObject,
  type SchemaObject,
} from './openapi.types';

/**
 * Webex's OpenAPI description of its Messaging API, as published (README.md beside it). Read from
 * beside this module: a build that loads it from dist/ must copy it there (nest-cli.json `assets`),
 * as tsc copies no JSON. Only the specs load it today.
 */
export const WEBEX_CONTRACT_FILE = join(__dirname, 'webex-messaging.openapi.json');

/** Webex's API lives under https://webexapis.com/v1; the document has no `servers` to say so. */
export const WEBEX_API_BASE_PATH = '/v1';

export interface WebexContractOptions {
  /** Component schema name → fields to treat as required on top of the document's own. */
  requiredFields?: Readonly<Record<string, readonly string[]>>;
  basePath?: string;
}

export interface ContractOperation {
  method: HttpMethod;
  /** The document's path template, e.g. /rooms/{roomId}. */
  path: string;
  operationId?: string;
  /** Taken from the concrete path, percent-decoded. */
  pathParams: Record<string, string>;
  /** The operation's parameters as the document declares them. */
  parameters: readonly ParameterObject[];
}

export interface ContractAnswer {
  status: number;
  /** The Content-Type header as sent. */
  contentType?: string | null;
  /** The parsed JSON body. */
  body: unknown;
}

interface Route {
  method: HttpMethod;
  path: string;
  pattern: RegExp;
  names: string[];
  operation: OperationObject;
}

const DEFINITIONS_ID = 'urn:webex-contract:definitions';
const SCHEMA_REF = '#/components/schemas/';
/** OpenAPI keywords that are only annotations to a JSON Schema validator. */
const OPENAPI_ANNOTATIONS = ['example', 'xml', 'externalDocs', 'discriminator'];
/** A base for parsing request targets that are paths; never contacted. */
const PLACEHOLDER_ORIGIN = 'http://contract.invalid';
/**
 * The formats the document uses. Any other makes Ajv refuse to compile the schema that has it, so a
 * new one in a newer document is noticed. int64: the `integer` type already says all JSON can.
 */
const FORMATS = {
  'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i,
  int64: true,
} as const;
/** Webex states some bounds in a parameter's prose only: "Value must be between 1 and 1000, inclusive." */
const PROSE_RANGE = /\bbetween (\d+) and (\d+), inclusive\b/;

/**
 * OpenAPI 3.0 Schema Object → JSON Schema (draft-07, Ajv's default): the places where the two differ.
 */
export function toJsonSchema(schema: SchemaObject): SchemaObject {
  if (typeof schema.$ref === 'string') {
    // A Reference Object's siblings are ignored in OpenAPI 3.0; JSON Schema would apply them.
    return { $ref: schema.$ref.replace(SCHEMA_REF, `${DEFINITIONS_ID}#/definitions/`) };
  }
  const out = mapSubschemas(schema, toJsonSchema);
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    // Boolean modifiers of minimum/maximum in OpenAPI 3.0; the bound itself since draft 6.
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag] && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else {
      delete out[flag];
    }
  }
  if (out.nullable !== undefined) {
    const nullable = out.nullable === true;
    delete out.nullable;
    // As a union, null passes whatever type, enum or allOf the rest says (as OpenAPI 3.0.3 reads nullable).
    if (nullable) return { anyOf: [{ type: 'null' }, out] };
  }
  return out;
}

function newAjv(coerceTypes: boolean, definitions: SchemaObject): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, coerceTypes, formats: FORMATS });
  ajv.addVocabulary(OPENAPI_ANNOTATIONS);
  ajv.addSchema(definitions, DEFINITIONS_ID);
  return ajv;
}

function routeOf(method: HttpMethod, path: string, operation: OperationObject): Route {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const name = /^\{([^}]+)\}$/.exec(segment)?.[1];
      if (name === undefined) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(name);
      return '([^/]+)';
    })
    .join('/');
  return { method, path, pattern: new RegExp(`^${source}$`), names, operation };
}

function label(route: Route): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}

function explain(errors: ErrorObject[] | null | undefined, root: string): string[] {
  return (errors ?? []).map((error) => {
    const where = `${root}${error.instancePath}`.replace(/^\//, '');
    const detail =
      error.keyword === 'additionalProperties'
        ? `: ${String(error.params.additionalProperty)}`
        : error.keyword === 'enum'
          ? `: ${(error.params.allowedValues as unknown[]).map(String).join(', ')}`
          : '';
    return `${where} ${error.message ?? error.keyword}${detail}`;
  });
}

/** Parameters as named in the query: one value as is, a repeated name as a list (OpenAPI's form style). */
function queryObject(params: URLSearchParams, declared: ParameterObject[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    const wantsList = declared.some((p) => p.name === name && p.schema?.type === 'array');
    out[name] = values.length === 1 && !wantsList ? values[0] : values;
  }
  return out;
}

/** The parameter's schema, with the bounds its description states, when it is a number. */
function parameterSchema(parameter: ParameterObject): SchemaObject {
  const schema = toJsonSchema(parameter.schema ?? {});
  const range = typeof parameter.description === 'string' ? PROSE_RANGE.exec(parameter.description) : null;
  if (!range || !['number', 'integer'].includes(String(schema.type))) return schema;
  return { ...schema, minimum: Number(range[1]), maximum: Number(range[2]) };
}

function parametersSchema(parameters: ParameterObject[], location: 'path' | 'query'): SchemaObject {
  const own = parameters.filter((p) => p.in === location);
  return {
    type: 'object',
    properties: Object.fromEntries(own.map((p) => [p.name, parameterSchema(p)])),
    required: own.filter((p) => p.required || location === 'path').map((p) => p.name),
    additionalProperties: false,
  };
}

/**
 * Webex's OpenAPI description as a checker: which operation a request is, whether its path and
 * query parameters are ones the operation declares with values its schemas allow (and the bounds
 * its description states, see PROSE_RANGE), and whether an answer's status, media type and body
 * match. Header and cookie parameters and request bodies are not checked.
 *
 * What the document does not describe, this cannot check: the OAuth endpoints (/v1/authorize,
 * /v1/access_token) and the body of error answers (it lists their statuses only). The facts known
 * about those are in shared/webex-platform.md.
 */
export class WebexContract {
  private readonly routes: Route[];
  private readonly answers: Ajv;
  private readonly requests: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly basePath: string;

  static load(file = WEBEX_CONTRACT_FILE, options?: WebexContractOptions): WebexContract {
    return new WebexContract(JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument, options);
  }

  constructor(document: OpenApiDocument, options: WebexContractOptions = {}) {
    this.basePath = options.basePath ?? WEBEX_API_BASE_PATH;
    const schemas = document.components?.schemas ?? {};
    const definitions = Object.fromEntries(Object.entries(schemas).map(([name, s]) => [name, toJsonSchema(s)]));
    for (const [name, fields] of Object.entries(options.requiredFields ?? {})) {
      const definition = definitions[name];
      if (!definition) throw new Error(`The document has no schema ${name} to require fields of.`);
      const required = Array.isArray(definition.required) ? (definition.required as string[]) : [];
      definition.required = [...new Set([...required, ...fields])];
    }
    const root = { $id: DEFINITIONS_ID, definitions };
    this.answers = newAjv(false, root);
    // Query values arrive as text: "100" stands for the number 100.
    this.requests = newAjv(true, root);
    this.routes = Object.entries(document.paths)
      .flatMap(([path, item]) =>
        HTTP_METHODS.filter((m) => item[m]).map((m) => routeOf(m, path, item[m] as OperationObject)),
      )
      // A concrete path wins over a template that also matches it, as OpenAPI says.
      .sort((a, b) => a.names.length - b.names.length);
  }

  /** The operation a request is, from its method and target (a path with its query, or a URL). */
  operationFor(method: string, target: string): ContractOperation | undefined {
    const found = this.match(method, target);
    if (!found || typeof found === 'string') return undefined;
    const { route, pathParams } = found;
    const { operationId, parameters = [] } = route.operation;
    return { method: route.method, path: route.path, operationId, pathParams, parameters };
  }

  /** What is wrong with a request, or nothing. */
  requestProblems(method: string, target: string): string[] {
    const found = this.match(method, target);
    if (!found) return [`${method.toUpperCase()} ${this.apiPath(target) ?? target}: no such operation in the document`];
    if (typeof found === 'string') return [found];
    const { route, pathParams, url } = found;
    const parameters = route.operation.parameters ?? [];
    const validate = this.validator(this.requests, `${route.method} ${route.path} request`, () => ({
      type: 'object',
      properties: { path: parametersSchema(parameters, 'path'), query: parametersSchema(parameters, 'query') },
    }));
    const data = { path: pathParams, query: queryObject(url.searchParams, parameters) };
    return validate(data) ? [] : explain(validate.errors, '').map((p) => `${label(route)}: ${p}`);
  }

  /** What is wrong with an answer to a request, or nothing. Bodies of statuses the document gives none for are not checked. */
  answerProblems(method: string, target: string, answer: ContractAnswer): string[] {
    const found = this.match(method, target);
    if (!found) return [`${method.toUpperCase()} ${this.apiPath(target) ?? target}: no such operation in the document`];
    if (typeof found === 'string') return [found];
    const { route } = found;
    const status = String(answer.status);
    const responses = route.operation.responses;
    const key = [status, `${status[0]}XX`, 'default'].find((k) => responses[k]);
    if (!key) return [`${label(route)}: status ${status} is not one the document declares`];
    const content = responses[key].content;
    // No content, or an empty map of it (two error answers of POST /attachment/actions): any body.
    if (!content || Object.keys(content).length === 0) return [];
    const mediaType = (answer.contentType ?? '').split(';')[0].trim().toLowerCase();
    const schema = content[mediaType]?.schema;
    if (!content[mediaType]) {
      return [
        `${label(route)}: ${status} as ${mediaType || 'no content type'}, not ${Object.keys(content).join(' or ')}`,
      ];
    }
    if (!schema) return [];
    const validate = this.validator(this.answers, `${route.method} ${route.path} ${key} ${mediaType}`, () =>
      toJsonSchema(schema),
    );
    return validate(answer.body) ? [] : explain(validate.errors, '/body').map((p) => `${label(route)}: ${p}`);
  }

  /** The path below the API's base path, or undefined when the target is not under it. */
  private apiPath(target: string): string | undefined {
    let pathname: string;
    try {
      pathname = new URL(target, PLACEHOLDER_ORIGIN).pathname;
    } catch {
      return undefined;
    }
    return pathname.startsWith(`${this.basePath}/`) ? pathname.slice(this.basePath.length) : undefined;
  }

  /** The route and its path parameters; a string when the route matched but its path could not be decoded. */
  private match(
    method: string,
    target: string,
  ): { route: Route; pathParams: Record<string, string>; url: URL } | string | undefined {
    const path = this.apiPath(target);
    if (path === undefined) return undefined;
    const url = new URL(target, PLACEHOLDER_ORIGIN);
    for (const route of this.routes) {
      if (route.method !== method.toLowerCase()) continue;
      const values = route.pattern.exec(path);
      if (!values) continue;
      try {
        const pathParams = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(values[i + 1])]));
        return { route, pathParams, url };
      } catch {
        return `${label(route)}: the path ${path} is not validly percent-encoded`;
      }
    }
    return undefined;
  }

  private validator(ajv: Ajv, key: string, schema: () => SchemaObject): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = ajv.compile(schema());
      this.validators.set(key, validate);
    }
    return validate;
  }
}

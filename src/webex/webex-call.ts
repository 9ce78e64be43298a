import { z } from 'zod';

/** `{roomId}` in '/rooms/{roomId}' → 'roomId'. */
export type ParamsOf<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}`
  ? Name | ParamsOf<Rest>
  : never;

type AnyQuery = z.ZodObject<z.ZodRawShape>;
const NO_QUERY = z.object({});

interface Declaration<Path extends string, Q extends AnyQuery> {
  /** Relative to the API base, with `{name}` placeholders, as Webex's OpenAPI description writes it. */
  readonly path: Path;
  /** The OAuth scope Webex wants for it: a feature that makes this call needs the integration to grant it. */
  readonly scope: string;
  /** The query parameters the service may send (checked before sending, and against the contract). */
  readonly query: Q;
}

/**
 * One Webex REST call (a GET), declared once: its path, the scope it needs, the query it takes
 * and the schema of its answer. WebexApiService does the rest alike for every call (budget,
 * retries, errors, paging), and webex.calls.spec.ts checks each declaration against Webex's
 * published OpenAPI description.
 */
export interface WebexGet<T = unknown, Path extends string = string, Q extends AnyQuery = AnyQuery> extends Declaration<
  Path,
  Q
> {
  readonly kind: 'get';
  readonly answer: z.ZodType<T>;
}

/**
 * A list call: the answer is `{ items: T[] }`, paged by Webex with `max` and a
 * `Link: <…>; rel="next"` header. Each item is checked against `item`.
 */
export interface WebexList<
  T = unknown,
  Path extends string = string,
  Q extends AnyQuery = AnyQuery,
> extends Declaration<Path, Q> {
  readonly kind: 'list';
  readonly item: z.ZodType<T>;
}

export type WebexCall = WebexGet | WebexList;

export function webexGet<T, Path extends string, Q extends AnyQuery = typeof NO_QUERY>(declaration: {
  path: Path;
  scope: string;
  answer: z.ZodType<T>;
  query?: Q;
}): WebexGet<T, Path, Q> {
  return { kind: 'get', ...declaration, query: declaration.query ?? (NO_QUERY as unknown as Q) };
}

export function webexList<T, Path extends string, Q extends AnyQuery = typeof NO_QUERY>(declaration: {
  path: Path;
  scope: string;
  item: z.ZodType<T>;
  query?: Q;
}): WebexList<T, Path, Q> {
  return { kind: 'list', ...declaration, query: declaration.query ?? (NO_QUERY as unknown as Q) };
}

/** The metadata key that marks a field as documented by Webex outside its OpenAPI description. */
export const WEBEX_DOCS_KEY = 'x-webex-docs';

/** A page of Webex's API reference. */
export type WebexDocsUrl = `https://developer.webex.com/${string}`;

/**
 * A field of an answer that Webex's API reference shows but its OpenAPI description (the contract,
 * src/webex/contract) lacks, declared with the page that shows it:
 *
 *     someField: undocumentedInOpenApi(z.string(), 'https://developer.webex.com/docs/api/v1/…').optional(),
 *
 * webex.calls.spec.ts takes a field the contract lacks only so marked, and only with such a page
 * (src/webex/contract/README.md).
 */
export function undocumentedInOpenApi<T extends z.ZodType>(schema: T, docs: WebexDocsUrl): T {
  return schema.meta({ [WEBEX_DOCS_KEY]: docs });
}

/** What a call takes besides the token: its path parameters by name, and its query. */
export type CallArgs<Path extends string, Q extends AnyQuery> = ([ParamsOf<Path>] extends [never]
  ? { params?: undefined }
  : { params: Record<ParamsOf<Path>, string> }) & { query?: z.input<Q> };

/** The path with every `{name}` filled in, each value percent-encoded as one path segment. */
export function fillPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new TypeError(`Path parameter ${name} of ${path} is missing`);
    return encodeURIComponent(value);
  });
}

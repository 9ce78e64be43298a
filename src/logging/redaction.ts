import { stdSerializers } from 'pino';

export const CENSOR = '[Redacted]';

/**
 * Field names whose values never reach the log, at any depth of a logged object. OAuth codes and
 * states are single-use but still worth stealing until used; the rest are credentials, matched by
 * how their names end so `csrfToken`, `sessionSecret` or `Set-Cookie` are caught too. Names are
 * compared without case, `-` or `_`: `access_token`, `accessToken` and `Access-Token` are one name.
 */
const SENSITIVE_NAME = /^(code|state)$|(token|secret|password|verifier|authorization|cookie)$/;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_NAME.test(key.replace(/[-_]/g, '').toLowerCase());
}

// The same names as `name=value` in text (a query string, a form body, a message). The prefix is
// bounded so a long run of word characters cannot make the match quadratic.
const SENSITIVE_PAIR =
  /\b(code|state|authorization|cookie|[\w-]{0,40}?(?:token|secret|password|verifier))=[^&\s;,"']+/gi;
const BEARER = /\b(Bearer)\s+[\w.~+/-]+=*/gi;

/** The net for text: a message or stack that quotes `code=…`, `state=…` or a bearer token gets the value replaced. */
export function scrubText(text: string): string {
  // Most text (a request id, a path, a message) has no `=`: the pair pattern, the costly one, is not run on it.
  const pairs = text.includes('=') ? text.replace(SENSITIVE_PAIR, `$1=${CENSOR}`) : text;
  return pairs.replace(BEARER, `$1 ${CENSOR}`);
}

/** A URL or path without its query and fragment: the OAuth callback carries code and state there. */
export function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/**
 * Errors as type, message, stack and their primitive fields (status, trackingId…). Objects hung
 * on an error are dropped: an AxiosError's `config` holds the token request body, client_secret included.
 */
export function serializeError(error: unknown): unknown {
  if (typeof error === 'string') return scrubText(error);
  if (typeof error !== 'object' || error === null) return error;
  // pino hands over the Error itself; pino-std-serializers' output (anything with a `raw`) passes through as is.
  const std = (error instanceof Error ? stdSerializers.err(error) : error) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(std)) {
    if (isSensitiveKey(key)) out[key] = CENSOR;
    else if (typeof value === 'string') out[key] = scrubText(value);
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
    else if (key === 'aggregateErrors' && Array.isArray(value)) out[key] = value.map(serializeError);
  }
  return out;
}

/**
 * A copy of `value` safe to write: sensitive fields censored at any depth, strings scrubbed,
 * errors reduced by `serializeError`, cycles cut. Runs only for lines that are written, so it
 * can afford to look at everything. What JSON would write is what is walked: `toJSON` first
 * (a Date, a URL, a Buffer), then own enumerable fields.
 */
export function scrubValue(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? scrub(value, new Set()) : scrubLeaf(value);
}

function scrub(value: unknown, ancestors: Set<object>): unknown {
  if (typeof value !== 'object' || value === null) return scrubLeaf(value);
  if (value instanceof Error) return serializeError(value);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  // As JSON.stringify: toJSON once, and its result is written as it is, without a second toJSON.
  return typeof toJSON === 'function'
    ? scrubStructure(toJSON.call(value), ancestors)
    : scrubStructure(value, ancestors);
}

function scrubLeaf(value: unknown): unknown {
  return typeof value === 'string' ? scrubText(value) : value;
}

function scrubStructure(value: unknown, ancestors: Set<object>): unknown {
  if (typeof value !== 'object' || value === null) return scrubLeaf(value);
  if (ancestors.has(value)) return '[Circular]';
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => scrub(item, ancestors));
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      out[key] = isSensitiveKey(key) && field !== undefined ? CENSOR : scrub(field, ancestors);
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * `scrubValue` for the fields of one log line, except those a serializer owns (req, res, err):
 * each of those already writes a fixed, safe shape, and walking a raw request would be costly.
 */
export function scrubFields(fields: Record<string, unknown>, serialized: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (serialized.has(key)) out[key] = value;
    else out[key] = isSensitiveKey(key) && value !== undefined ? CENSOR : scrubValue(value);
  }
  return out;
}

import { stdSerializers } from 'pino';

/**
 * Names whose values never reach the log, wherever they sit in a logged object. OAuth codes and
 * states are single-use but still worth stealing until used; the rest are credentials.
 */
export const SENSITIVE_KEYS = [
  'code',
  'state',
  'token',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'client_secret',
  'clientSecret',
  'code_verifier',
  'codeVerifier',
  'password',
  'secret',
  'authorization',
  'cookie',
] as const;

/** pino's redaction has no recursive wildcard: these depths (0 = top level) are covered. */
const REDACT_DEPTHS = 4;

export const CENSOR = '[Redacted]';

/** Paths for pino's `redact`: the credential headers, and every sensitive name down to REDACT_DEPTHS levels. */
export function redactPaths(): string[] {
  const byName = SENSITIVE_KEYS.flatMap((key) =>
    Array.from({ length: REDACT_DEPTHS }, (_, depth) => [...Array<string>(depth).fill('*'), key].join('.')),
  );
  return ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', ...byName];
}

const SENSITIVE_PAIR = new RegExp(`\\b(${SENSITIVE_KEYS.join('|')})=[^&\\s;,"']+`, 'gi');
const BEARER = /\b(Bearer)\s+[\w.~+/-]+=*/gi;

/**
 * The net for text: a message or stack that quotes `code=…`, `state=…` or a bearer token gets the
 * value replaced. Object fields are pino's redaction's job; this catches what code put in strings.
 */
export function scrubText(text: string): string {
  return text.replace(SENSITIVE_PAIR, `$1=${CENSOR}`).replace(BEARER, `$1 ${CENSOR}`);
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
  // pino-http hands over pino's own serialization; a plain pino logger hands over the Error itself.
  const std = (error instanceof Error ? stdSerializers.err(error) : error) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(std)) {
    if (typeof value === 'string') out[key] = scrubText(value);
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
    else if (key === 'aggregateErrors' && Array.isArray(value)) out[key] = value.map(serializeError);
  }
  return out;
}

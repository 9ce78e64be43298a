/**
 * A lean axios adapter: Node's own http/https `request` with the instance's keep-alive agents,
 * installed by WebexModule on the HttpService's axios instance. axios' Node adapter does far more
 * per call than a Webex call needs (follow-redirects, proxy lookup from the environment, stream
 * plumbing, decompression, a timer that runs only to the headers), and it showed in the
 * /listrooms profile; see bench/webex-client.ts for the cost of one call.
 *
 * Supported, with axios' meaning unless said otherwise:
 * - the URL from `baseURL` + `url` (`allowAbsoluteUrls`) + `params` (primitives and Dates,
 *   encoded as axios encodes them; `paramsSerializer` `serialize`/`encode` are honoured), http: and
 *   https: only; the agents in `httpAgent` / `httpsAgent`;
 * - the headers of the AxiosHeaders object; `User-Agent` axios/<version> unless one is set;
 *   `Accept-Encoding: identity` always, as nothing here decompresses;
 * - a string, Buffer, typed-array or ArrayBuffer body (`maxBodyLength`), sent with Content-Length;
 * - `timeout`: here ONE deadline over the whole exchange, from the call to the last byte of the
 *   body (axios' own runs to the response headers). It rejects like axios' timeout: ECONNABORTED
 *   (ETIMEDOUT with `transitional.clarifyTimeoutError`), `timeoutErrorMessage` if given;
 * - `connectTimeoutMs` (an option of this adapter): a bound on establishing a NEW connection (TCP,
 *   and TLS for https), rejecting with CONNECT_TIMEOUT_CODE; a reused keep-alive socket is not watched;
 * - `signal` (with addEventListener): rejects with axios' CanceledError (ERR_CANCELED);
 * - the body read whole up to `maxContentLength` (more rejects with ERR_BAD_RESPONSE and drops the
 *   connection); `responseType` json/text give a UTF-8 string (axios' transformResponse then parses
 *   json), arraybuffer a Buffer; `validateStatus` as in axios' `settle`.
 *
 * Not supported: redirects (a 3xx is the answer, as with `maxRedirects: 0`), compressed answers,
 * proxies (`proxy` is refused; HTTP(S)_PROXY in the environment is ignored, where axios' adapter
 * would use it), `auth`, `socketPath`, `responseEncoding` (always UTF-8), stream/FormData bodies,
 * responseType stream/blob/document/formdata, progress events, `cancelToken`, http2, `lookup`/`family`,
 * `insecureHTTPParser`, array or object params.
 *
 * A request whose pooled keep-alive socket is reset before any answer (ECONNRESET/EPIPE: the
 * server closed it as we sent) is sent once more on another socket, within the same deadline.
 *
 * Every failure destroys the request (so its socket never goes back to the pool half-read), and
 * the promise settles once: the 'error' listeners stay on for late events of a destroyed request.
 */
import {
  type AxiosAdapter,
  AxiosError,
  type AxiosResponse,
  CanceledError,
  type InternalAxiosRequestConfig,
  VERSION,
} from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { watchConnect } from './connect-timeout';

export interface NodeHttpAdapterOptions {
  /** Bound on establishing a new connection, TLS included; 0 = none. */
  connectTimeoutMs: number;
}

const USER_AGENT = `axios/${VERSION}`;
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;
const UNSUPPORTED_RESPONSE_TYPES: ReadonlySet<string> = new Set(['stream', 'blob', 'document', 'formdata']);

type Config = InternalAxiosRequestConfig;
type Resolve = (response: AxiosResponse) => void;
type Reject = (reason: unknown) => void;
type Encoder = (value: string) => string;

export function nodeHttpAdapter({ connectTimeoutMs }: NodeHttpAdapterOptions): AxiosAdapter {
  return (config) =>
    new Promise<AxiosResponse>((resolve, reject) => {
      const timeout = Number(config.timeout);
      send(config, { connectTimeoutMs, deadline: timeout > 0 ? Date.now() + timeout : undefined }, resolve, reject);
    });
}

/** Errors of a keep-alive socket that the server closed while our request was on its way. */
const STALE_SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

interface Attempt {
  connectTimeoutMs: number;
  /** One deadline for the exchange, a resend on a new socket included. */
  deadline?: number;
  resent?: boolean;
}

function send(config: Config, attempt: Attempt, resolve: Resolve, reject: Reject): void {
  const { connectTimeoutMs } = attempt;
  let url: URL;
  let body: string | Buffer | undefined;
  let headers: http.OutgoingHttpHeaders;
  try {
    url = new URL(fullUrl(config));
    body = bodyOf(config);
    headers = outgoingHeaders(config, body);
  } catch (error) {
    reject(AxiosError.from(error, AxiosError.ERR_BAD_REQUEST, config));
    return;
  }
  const secure = url.protocol === 'https:';
  const refusal = !secure && url.protocol !== 'http:' ? `Unsupported protocol ${url.protocol}` : unsupported(config);
  if (refusal) {
    reject(new AxiosError(refusal, AxiosError.ERR_NOT_SUPPORT, config));
    return;
  }
  const { signal } = config;
  if (signal?.aborted) {
    reject(new CanceledError(undefined, config));
    return;
  }

  let req: http.ClientRequest;
  try {
    req = (secure ? https : http).request(url, {
      method: (config.method ?? 'get').toUpperCase(),
      headers,
      agent: (secure ? config.httpsAgent : config.httpAgent) as http.Agent | undefined,
    });
  } catch (error) {
    // A header value Node refuses (ERR_INVALID_CHAR, ...) throws here, before any I/O.
    reject(AxiosError.from(error, undefined, config));
    return;
  }

  let settled = false;
  let answered = false;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => fail(new CanceledError(undefined, config, req));
  const stop = (): void => {
    settled = true;
    clearTimeout(timer);
    signal?.removeEventListener?.('abort', onAbort);
  };
  const fail = (error: unknown): void => {
    if (settled) return;
    stop();
    req.destroy();
    reject(error instanceof AxiosError ? error : AxiosError.from(error, undefined, config, req));
  };

  // Node reports every end without an answer, or with a body cut short, as an 'error' on one of
  // the two; the listeners stay on so a late one from a destroyed request is never unhandled.
  req.on('error', (error: NodeJS.ErrnoException) => {
    // A pooled socket the server closed as we sent on it: the server cannot have answered, and
    // most likely never read the request. Sent once more on another socket (as browsers, Go and
    // Node's own docs do, POSTs included: a replayed code exchange could only be refused as used).
    if (!settled && req.reusedSocket && !answered && !attempt.resent && STALE_SOCKET_CODES.has(error.code ?? '')) {
      stop();
      req.destroy();
      send(config, { ...attempt, resent: true }, resolve, reject);
      return;
    }
    fail(error);
  });
  if (connectTimeoutMs > 0) req.once('socket', (socket: Socket) => watchConnect(req, socket, connectTimeoutMs));
  const timeout = Number(config.timeout);
  if (attempt.deadline !== undefined) {
    timer = setTimeout(() => fail(timeoutError(config, timeout, req)), Math.max(0, attempt.deadline - Date.now()));
  }
  signal?.addEventListener?.('abort', onAbort);

  req.on('response', (res: http.IncomingMessage) => {
    answered = true;
    res.on('error', fail);
    const max = config.maxContentLength ?? -1;
    if (max > -1 && Number(res.headers['content-length']) > max) {
      fail(tooBig(max, config, req));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (max > -1 && size > max) fail(tooBig(max, config, req));
      else chunks.push(chunk);
    });
    res.on('end', () => {
      if (settled) return;
      stop();
      const buffer = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      const status = res.statusCode ?? 0;
      const response: AxiosResponse = {
        data: config.responseType === 'arraybuffer' ? buffer : buffer.toString('utf8'),
        status,
        statusText: res.statusMessage ?? '',
        headers: res.headers,
        config,
        request: req,
      };
      // axios' settle: a status the caller does not accept rejects, with the response on the error.
      const { validateStatus } = config;
      if (!status || !validateStatus || validateStatus(status)) resolve(response);
      else
        reject(
          new AxiosError(
            `Request failed with status code ${status}`,
            status >= 400 && status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE,
            config,
            req,
            response,
          ),
        );
    });
  });

  req.end(body);
}

/** What this adapter refuses rather than silently ignore. */
function unsupported(config: Config): string | undefined {
  if (config.proxy) return 'proxy is not supported by this adapter';
  if (config.socketPath) return 'socketPath is not supported by this adapter';
  if (config.auth) return 'auth is not supported by this adapter; send an Authorization header';
  if (config.responseType && UNSUPPORTED_RESPONSE_TYPES.has(config.responseType))
    return `responseType ${config.responseType} is not supported by this adapter`;
  return undefined;
}

function timeoutError(config: Config, timeout: number, req: http.ClientRequest): AxiosError {
  return new AxiosError(
    config.timeoutErrorMessage || `timeout of ${timeout}ms exceeded`,
    config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED,
    config,
    req,
  );
}

function tooBig(max: number, config: Config, req: http.ClientRequest): AxiosError {
  return new AxiosError(`maxContentLength size of ${max} exceeded`, AxiosError.ERR_BAD_RESPONSE, config, req);
}

/** axios' buildFullPath, then buildURL. */
function fullUrl(config: Config): string {
  const url = config.url ?? '';
  const base = config.baseURL;
  const path =
    base && (config.allowAbsoluteUrls === false || !ABSOLUTE_URL.test(url))
      ? url
        ? `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`
        : base
      : url;
  const query = queryOf(config);
  if (!query) return path;
  const hash = path.indexOf('#');
  const bare = hash === -1 ? path : path.slice(0, hash);
  return `${bare}${bare.includes('?') ? '&' : '?'}${query}`;
}

const NEEDS_NO_ENCODING = /^[\w.~-]*$/;

/** axios' param encoding: RFC 3986 percent-encoding, but ':', '$' and ',' kept and space as '+'. */
function encode(value: string): string {
  if (NEEDS_NO_ENCODING.test(value)) return value;
  return encodeURIComponent(value)
    .replace(/%3A/gi, ':')
    .replace(/%24/g, '$')
    .replace(/%2C/gi, ',')
    .replace(/%20/g, '+');
}

function queryOf(config: Config): string {
  const params: unknown = config.params;
  if (!params) return '';
  // axios has already turned a serializer function into { serialize }.
  const serializer =
    typeof config.paramsSerializer === 'function' ? { serialize: config.paramsSerializer } : config.paramsSerializer;
  if (serializer?.serialize) return serializer.serialize(params as Record<string, unknown>, serializer);
  if (params instanceof URLSearchParams) return params.toString();
  const custom = serializer?.encode;
  const enc: Encoder = custom ? (value) => String(custom(value, encode)) : encode;
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    pairs.push(`${enc(key)}=${enc(paramValue(key, value))}`);
  }
  return pairs.join('&');
}

function paramValue(key: string, value: unknown): string {
  if (value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TypeError(`param ${key}: only strings, numbers, booleans and Dates are supported by this adapter`);
}

function bodyOf(config: Config): string | Buffer | undefined {
  const data: unknown = config.data;
  let body: string | Buffer;
  if (data === undefined || data === null) return undefined;
  if (typeof data === 'string' || Buffer.isBuffer(data)) body = data;
  else if (ArrayBuffer.isView(data)) body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  else if (data instanceof ArrayBuffer) body = Buffer.from(data);
  else throw new TypeError('the request body must be a string, a Buffer, a typed array or an ArrayBuffer');
  const max = config.maxBodyLength ?? -1;
  if (max > -1 && Buffer.byteLength(body) > max) throw new RangeError(`request body larger than ${max} bytes`);
  return body;
}

function outgoingHeaders(config: Config, body: string | Buffer | undefined): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  let userAgent = false;
  for (const [name, value] of Object.entries(config.headers.toJSON(true))) {
    const lower = name.toLowerCase();
    // Ours to decide: what we can decode, and the length of what we send.
    if (lower === 'accept-encoding' || lower === 'content-length') continue;
    if (lower === 'user-agent') userAgent = true;
    headers[name] = typeof value === 'string' || typeof value === 'number' ? value : String(value);
  }
  if (!userAgent) headers['User-Agent'] = USER_AGENT;
  headers['Accept-Encoding'] = 'identity';
  if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
  return headers;
}

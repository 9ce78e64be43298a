import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { AxiosRequestConfig, AxiosResponse, RawAxiosResponseHeaders, AxiosResponseHeaders } from 'axios';
import { setTimeout as sleep } from 'node:timers/promises';
import { oauthConfig, webexConfig } from '../config';
import { webexCalls as webexCallMetric, webexRateLimited } from '../metrics';
import { CONNECT_TIMEOUT_CODE } from './connect-timeout';
import { nextLink } from './link-header';
import { type AttemptOutcome, decideRetry, isRateLimit } from './retry-policy';
import type { UndiciAdapter } from './undici.adapter';
import { type CallArgs, fillPath, type WebexCall, type WebexGet, type WebexList } from './webex-call';
import {
  WebexApiError,
  WebexBadResponseError,
  WebexForbiddenError,
  WebexGrantRefusedError,
  WebexNotFoundError,
  WebexRateLimitedError,
  WebexRejectedError,
  WebexUnauthorizedError,
  WebexUnavailableError,
} from './webex.errors';
import type { WebexPage, WebexTokens } from './webex.types';
import { OpenIdConfiguration, type TokenEndpoint, UserInfo } from './openid.types';

type Headers = RawAxiosResponseHeaders | AxiosResponseHeaders;

/** When Webex asks us to wait without saying how long. */
const DEFAULT_RETRY_AFTER_SECONDS = 30;
/** Bigger answers are not what we asked for; refuse them before they fill memory. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Webex's own token endpoint, relative to the API base, and how the sample has always authenticated there. */
export const WEBEX_TOKEN_ENDPOINT: TokenEndpoint = { url: '/access_token', auth: 'client_secret_post' };
/** Only these are ever sent twice; the token grants are POSTs. */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/** One logical call (a public method, every page of it): one deadline, one share of the retry policy. */
interface CallBudget {
  readonly operation: string;
  /** The declared call's scope, named when Webex answers 403. */
  readonly scope?: string;
  readonly started: number;
  readonly deadline: number;
  attempts: number;
  retriesUsed: number;
  rateLimitWaitUsed: boolean;
}

interface NetworkFailure {
  code?: string;
  /** Short and secret-free, for logs and messages. */
  reason: string;
}

function header(headers: Headers, name: string): string | undefined {
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : undefined;
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Math.min(Number(value), 86_400);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The only caller of Webex. Takes tokens, returns plain data, and turns every failure into a
 * WebexApiError; it logs the call, the status, the attempt and Webex's trackingId, never a token or a body.
 *
 * Resilience policy (config namespace `webex`):
 * - every public call has one budget, `timeoutMs`, that covers all its pages, retries and waits;
 *   establishing a new connection (TCP, and TLS for https) is bounded by `connectTimeoutMs`;
 * - GETs are retried up to `retries` times after a network error or a 502/503/504, with
 *   exponential backoff and full jitter, never past the deadline; the token grants never are;
 * - 429 (and 503/423 with Retry-After) is waited out once per call, for GETs, when Retry-After is
 *   at most `retryAfterMaxWaitMs` and fits in the budget; otherwise it becomes WebexRateLimitedError.
 */
@Injectable()
export class WebexApiService implements OnModuleDestroy {
  private readonly logger = new Logger(WebexApiService.name);
  private readonly apiOrigin: string;

  constructor(
    private readonly http: HttpService,
    @Inject(webexConfig.KEY) private readonly config: ConfigType<typeof webexConfig>,
    @Inject(oauthConfig.KEY) private readonly oauth: ConfigType<typeof oauthConfig>,
  ) {
    this.apiOrigin = new URL(config.apiBaseUrl).origin;
  }

  /**
   * Authorization-code grant, with the PKCE verifier of this sign-in. Never retried: a code is
   * single use. With Login with Webex, `endpoint` is the discovery document's token endpoint.
   */
  exchangeCode(code: string, codeVerifier: string, endpoint = WEBEX_TOKEN_ENDPOINT): Promise<WebexTokens> {
    return this.tokenRequest(
      'authorization_code',
      { code, redirect_uri: this.oauth.redirectUri, code_verifier: codeVerifier },
      endpoint,
    );
  }

  refreshTokens(refreshToken: string, endpoint = WEBEX_TOKEN_ENDPOINT): Promise<WebexTokens> {
    return this.tokenRequest('refresh_token', { refresh_token: refreshToken }, endpoint);
  }

  /** Login with Webex's discovery document, `{apiBaseUrl}/.well-known/openid-configuration`. */
  async openIdConfiguration(): Promise<OpenIdConfiguration> {
    const budget = this.startCall('GET /.well-known/openid-configuration');
    const { data, headers } = await this.send(budget, {
      method: 'GET',
      url: '/.well-known/openid-configuration',
      headers: { accept: 'application/json' },
    });
    const answer = OpenIdConfiguration.safeParse(data);
    if (!answer.success) throw this.mismatch(budget.operation, answer.error.issues, header(headers, 'trackingid'));
    return answer.data;
  }

  /** The key set at the discovery document's `jwks_uri`, as sent: jose reads and checks it. */
  async signingKeys(jwksUri: string): Promise<unknown> {
    const { data } = await this.send(this.startCall('GET jwks_uri'), {
      method: 'GET',
      url: jwksUri,
      headers: { accept: 'application/json' },
    });
    return data;
  }

  /** UserInfo (OpenID Connect Core §5.3) with the sign-in's access token. */
  async userInfo(endpoint: string, accessToken: string): Promise<UserInfo> {
    const budget = this.startCall('GET userinfo_endpoint', 'openid');
    const { data, headers } = await this.send(budget, { method: 'GET', url: endpoint, headers: bearer(accessToken) });
    const answer = UserInfo.safeParse(data);
    if (!answer.success) throw this.mismatch(budget.operation, answer.error.issues, header(headers, 'trackingid'));
    return answer.data;
  }

  /** A GET declared in webex.calls.ts: its answer, checked against the call's schema. */
  async get<T, Path extends string, Q extends WebexGet['query']>(
    call: WebexGet<T, Path, Q>,
    accessToken: string,
    args?: CallArgs<Path, Q>,
  ): Promise<T> {
    const budget = this.startCall(`GET ${call.path}`, call.scope);
    const { data, headers } = await this.send(budget, this.firstRequest(call, accessToken, args));
    const answer = call.answer.safeParse(data);
    if (!answer.success) {
      throw this.mismatch(budget.operation, answer.error.issues, header(headers, 'trackingid'));
    }
    return answer.data;
  }

  /**
   * Every item of a list declared in webex.calls.ts, following Webex's `Link: rel="next"` pages (on
   * the API's own origin only: the token goes with them) up to `limit` items. An item that does
   * not match the call's schema is left out and counted in the log, rather than failing the page.
   */
  async list<T, Path extends string, Q extends WebexList['query']>(
    call: WebexList<T, Path, Q>,
    accessToken: string,
    args?: CallArgs<Path, Q> & { limit?: number },
  ): Promise<WebexPage<T>> {
    const limit = args?.limit ?? this.config.listLimit;
    const budget = this.startCall(`GET ${call.path}`, call.scope);
    const items: T[] = [];
    let skipped = 0;
    let request: AxiosRequestConfig | undefined = this.firstRequest(call, accessToken, args, {
      max: Math.min(this.config.pageSize, limit),
    });
    while (request) {
      const { data, headers } = await this.send(budget, request);
      if (!isRecord(data) || !Array.isArray(data.items)) {
        throw this.mismatch(
          budget.operation,
          [{ path: ['items'], message: 'a list needs items' }],
          header(headers, 'trackingid'),
        );
      }
      for (const raw of data.items) {
        const item = call.item.safeParse(raw);
        if (item.success) items.push(item.data);
        else skipped++;
      }
      const next = nextLink(headers.link as string | string[] | undefined);
      if (items.length >= limit || !next) {
        if (skipped > 0)
          this.logger.warn(`${budget.operation}: ${skipped} item(s) did not match the schema and were left out`);
        return {
          items: items.slice(0, limit),
          truncated: items.length > limit || (items.length >= limit && next !== undefined),
        };
      }
      request = { method: 'GET', url: this.sameOriginUrl(next, budget.operation), headers: bearer(accessToken) };
    }
    return { items, truncated: false };
  }

  /** Closes every connection to Webex (and to a proxy) of WebexModule's undici pool. */
  async onModuleDestroy(): Promise<void> {
    const { adapter } = this.http.axiosRef.defaults as { adapter?: Partial<UndiciAdapter> };
    await adapter?.dispatcher?.destroy();
  }

  /** A next link is followed only on the API's own origin: the bearer token goes with it. */
  private sameOriginUrl(link: string, operation: string): string {
    let url: URL;
    try {
      url = new URL(link, this.config.apiBaseUrl);
    } catch {
      throw new WebexBadResponseError('Webex sent an unreadable next link', operation, 200);
    }
    if (url.origin !== this.apiOrigin) {
      throw new WebexBadResponseError('Webex sent a next link to another host; not following it', operation, 200);
    }
    return url.toString();
  }

  /** The first request of a call: its path filled in, its query checked against its declaration. */
  private firstRequest(
    call: WebexCall,
    accessToken: string,
    args: { params?: Record<string, string>; query?: object } = {},
    paging: Record<string, number> = {},
  ): AxiosRequestConfig {
    return {
      method: 'GET',
      url: fillPath(call.path, args.params),
      // A query the declaration does not allow is this service's bug: it throws before anything is sent.
      params: { ...call.query.parse(args.query ?? {}), ...paging },
      headers: bearer(accessToken),
    };
  }

  /** A 2xx whose body is not what the call declares: what did not match, never the values. */
  private mismatch(
    operation: string,
    issues: readonly { path: readonly PropertyKey[]; message: string }[],
    trackingId: string | undefined,
  ): WebexBadResponseError {
    const where = issues
      .slice(0, 3)
      .map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`)
      .join('; ');
    this.logger.warn(`${operation}: the answer does not match its schema (${where}), trackingId=${trackingId ?? '-'}`);
    return new WebexBadResponseError('Webex sent an answer this service could not read', operation, 200, trackingId);
  }

  private async tokenRequest(
    grantType: 'authorization_code' | 'refresh_token',
    fields: Record<string, string>,
    endpoint: TokenEndpoint,
  ): Promise<WebexTokens> {
    const operation = `POST /access_token (${grantType})`;
    const { clientId, clientSecret } = this.oauth;
    const basic = endpoint.auth === 'client_secret_basic';
    const body = new URLSearchParams({
      grant_type: grantType,
      ...(basic ? {} : { client_id: clientId, client_secret: clientSecret }),
      ...fields,
    });
    // RFC 6749 §2.3.1: each part form-encoded, then the pair in Basic.
    const form = (text: string) => new URLSearchParams({ v: text }).toString().slice(2);
    const authorization = basic
      ? { authorization: `Basic ${Buffer.from(`${form(clientId)}:${form(clientSecret)}`).toString('base64')}` }
      : {};
    const requestedAt = Date.now();
    const { data, headers } = await this.send(this.startCall(operation), {
      method: 'POST',
      url: endpoint.url,
      data: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...authorization },
    });
    if (
      !isRecord(data) ||
      typeof data.access_token !== 'string' ||
      data.access_token === '' ||
      typeof data.refresh_token !== 'string' ||
      data.refresh_token === '' ||
      typeof data.expires_in !== 'number' ||
      !(data.expires_in > 0) ||
      (data.token_type !== undefined &&
        (typeof data.token_type !== 'string' || data.token_type.toLowerCase() !== 'bearer'))
    ) {
      throw new WebexBadResponseError(
        'Webex sent a token answer without the expected fields',
        operation,
        200,
        header(headers, 'trackingid'),
      );
    }
    const refreshIn = typeof data.refresh_token_expires_in === 'number' ? data.refresh_token_expires_in : undefined;
    return {
      accessToken: data.access_token,
      refreshToken: data.refresh_token,
      // Counted from when we asked, so clock time spent in transit shortens the token, never lengthens it.
      accessTokenExpiresAt: requestedAt + data.expires_in * 1000,
      refreshTokenExpiresAt: refreshIn !== undefined ? requestedAt + refreshIn * 1000 : undefined,
      ...(typeof data.id_token === 'string' && data.id_token !== '' ? { idToken: data.id_token } : {}),
    };
  }

  private startCall(operation: string, scope?: string): CallBudget {
    const started = Date.now();
    return {
      operation,
      scope,
      started,
      deadline: started + this.config.timeoutMs,
      attempts: 0,
      retriesUsed: 0,
      rateLimitWaitUsed: false,
    };
  }

  /** Sends `request` until it succeeds, fails for good, or the call's budget runs out. */
  private async send(call: CallBudget, request: AxiosRequestConfig): Promise<{ data: unknown; headers: Headers }> {
    const { operation } = call;
    const idempotent = IDEMPOTENT_METHODS.has((request.method ?? 'GET').toUpperCase());
    for (;;) {
      const remainingMs = call.deadline - Date.now();
      if (remainingMs <= 0) {
        // Only between pages of one call: a retry or a wait never starts without time left.
        this.logger.warn(`${operation} not sent: the call's ${this.config.timeoutMs} ms budget is spent`);
        throw new WebexUnavailableError('Webex could not be reached (timed out)', operation);
      }
      call.attempts++;
      const attemptStarted = Date.now();
      const result = await this.attempt(request, remainingMs);
      const tookMs = Date.now() - attemptStarted;
      const answered = 'failure' in result ? 'network' : String(result.response.status);
      webexCallMetric.observe({ operation, status: answered }, tookMs / 1000);
      const elapsed = `${tookMs} ms${call.attempts > 1 ? ` (${Date.now() - call.started} ms in all)` : ''}`;

      let outcome: AttemptOutcome;
      let error: WebexApiError;
      let line: string;
      if ('failure' in result) {
        const { code, reason } = result.failure;
        outcome = { kind: 'network', code };
        error = new WebexUnavailableError(`Webex could not be reached (${reason})`, operation);
        line = `${operation} failed: ${reason}, attempt ${call.attempts}, ${elapsed}`;
      } else {
        const { status, headers } = result.response;
        const trackingId = header(headers, 'trackingid');
        const data = parseJson(result.response.data);
        if (status >= 200 && status < 300) {
          const done = `${operation} → ${status}, attempt ${call.attempts}, ${elapsed}, trackingId=${trackingId ?? '-'}`;
          if (data === undefined) {
            this.logger.warn(`${done}, with a body that is not JSON`);
            throw new WebexBadResponseError('Webex sent a body that is not JSON', operation, status, trackingId);
          }
          this.logger.debug(done);
          return { data, headers };
        }
        const retryAfterSeconds = parseRetryAfter(header(headers, 'retry-after'));
        outcome = { kind: 'status', status, retryAfterSeconds };
        // Webex's "slow down" by the retry policy's own rule (429, or 503 with Retry-After).
        if (isRateLimit(outcome)) webexRateLimited.inc({ operation });
        error = this.toError(call, status, retryAfterSeconds, data, trackingId);
        const said = error instanceof WebexGrantRefusedError && error.reason ? ` (${error.reason})` : '';
        line = `${operation} → ${status}${said}, attempt ${call.attempts}, ${elapsed}, trackingId=${error.trackingId ?? '-'}`;
      }

      const decision = decideRetry(
        outcome,
        {
          idempotent,
          retriesUsed: call.retriesUsed,
          rateLimitWaitUsed: call.rateLimitWaitUsed,
          remainingMs: call.deadline - Date.now(),
        },
        this.config,
      );
      if (!decision.retry) {
        this.logger.warn(decision.reason ? `${line}; not retried: ${decision.reason}` : line);
        throw error;
      }
      this.logger.warn(`${line}; retrying in ${decision.delayMs} ms (${decision.reason})`);
      if (decision.rateLimitWait) call.rateLimitWaitUsed = true;
      else call.retriesUsed++;
      await sleep(decision.delayMs);
    }
  }

  /** One HTTP exchange; a network failure comes back as a value, already stripped of the request. */
  private async attempt(
    request: AxiosRequestConfig,
    remainingMs: number,
  ): Promise<{ response: AxiosResponse<string> } | { failure: NetworkFailure }> {
    try {
      // The HttpService's own axios instance (base URL, adapter on undici's pool, from
      // WebexModule), called directly: its Observable wrapper cancels every finished request,
      // building an error with a stack trace each time, which showed in the /listrooms profile.
      const response = await this.http.axiosRef.request<string>({
        ...request,
        responseType: 'text',
        validateStatus: () => true,
        maxContentLength: MAX_RESPONSE_BYTES,
        // The adapter makes this one deadline on the whole exchange, to the body's last byte,
        // so it bounds the attempt and so the call; undici bounds connecting.
        timeout: remainingMs,
      });
      return { response };
    } catch (error) {
      return { failure: describeNetworkError(error) };
    }
  }

  private toError(
    { operation, scope }: CallBudget,
    status: number,
    retryAfter: number | undefined,
    data: unknown,
    headerTrackingId?: string,
  ): WebexApiError {
    const body = isRecord(data) ? data : {};
    const trackingId =
      headerTrackingId ??
      (typeof body.trackingId === 'string'
        ? body.trackingId
        : typeof body.trackingID === 'string'
          ? body.trackingID
          : undefined);
    const isTokenCall = operation.startsWith('POST /access_token');

    if (isRateLimit({ kind: 'status', status, retryAfterSeconds: retryAfter })) {
      return new WebexRateLimitedError(operation, status, trackingId, retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS);
    }
    if (status >= 500) return new WebexUnavailableError(`Webex answered ${status}`, operation, status, trackingId);
    if (isTokenCall && (status === 400 || status === 401)) {
      return new WebexGrantRefusedError(
        `Webex refused the grant (${status})`,
        operation,
        status,
        trackingId,
        refusalReason(body),
      );
    }
    if (status === 401 && !isTokenCall)
      return new WebexUnauthorizedError('Webex did not accept the access token', operation, status, trackingId);
    if (status === 403 && !isTokenCall)
      return new WebexForbiddenError('Webex refused the call (missing scope?)', operation, status, trackingId, scope);
    // Webex answers 404 for what does not exist and for what the person may not see alike.
    if (status === 404 && !isTokenCall)
      return new WebexNotFoundError('Webex has no such item', operation, status, trackingId);
    if (status >= 400)
      return new WebexRejectedError(`Webex refused the call (${status})`, operation, status, trackingId);
    // 1xx/3xx: the adapter never follows redirects, so this is not an answer we can use.
    return new WebexBadResponseError(`Webex answered ${status}`, operation, status, trackingId);
  }
}

/** At most this much of Webex's own words goes into a log line. */
const MAX_REASON_CHARS = 160;

/**
 * Webex's words for a refusal, from either body shape: OAuth (`error`, `error_description`) or
 * REST (`message`, `errors[].description`). Printable characters only and shortened, as it is
 * text from the network going into a log line (where scrubbing still applies).
 */
function refusalReason(body: Record<string, unknown>): string | undefined {
  const text = (value: unknown) =>
    typeof value === 'string' ? value.replace(/[^\x20-\x7e]+/g, ' ').trim() || undefined : undefined;
  const code = typeof body.error === 'string' && /^[\w.-]{1,64}$/.test(body.error) ? body.error : undefined;
  const firstError: unknown = Array.isArray(body.errors) ? body.errors[0] : undefined;
  const description =
    text(body.error_description) ??
    text(body.message) ??
    (isRecord(firstError) ? text(firstError.description) : undefined);
  const reason = [code, description].filter(Boolean).join(': ');
  if (!reason) return undefined;
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason;
}

function bearer(token: string) {
  return { authorization: `Bearer ${token}`, accept: 'application/json' };
}

function parseJson(body: unknown): unknown {
  if (typeof body !== 'string' || body.trim() === '') return body === '' ? undefined : body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A short, secret-free reason: never the error object, whose config holds headers and body.
 * The adapter rejects with axios' code for its deadline (ETIMEDOUT) and its size cap; what the
 * pool failed on (ERR_NETWORK) has undici's error, or the socket's, as a cause, whose code is
 * turned into one the retry policy knows.
 */
function describeNetworkError(error: unknown): NetworkFailure {
  const codeOf = (value: Record<string, unknown>): string | undefined =>
    typeof value.code === 'string' && /^[A-Z][A-Z0-9_]{1,39}$/.test(value.code) ? value.code : undefined;
  const undici: Readonly<Record<string, NetworkFailure>> = {
    UND_ERR_CONNECT_TIMEOUT: { code: CONNECT_TIMEOUT_CODE, reason: 'connect timed out' },
    // The server closed the connection before the answer was complete ("other side closed").
    UND_ERR_SOCKET: { code: 'ECONNRESET', reason: 'connection closed by the server' },
    UND_ERR_HEADERS_TIMEOUT: { code: 'ECONNABORTED', reason: 'timed out' },
    UND_ERR_BODY_TIMEOUT: { code: 'ECONNABORTED', reason: 'timed out' },
    UND_ERR_RES_EXCEEDED_MAX_SIZE: { code: 'ERR_BAD_RESPONSE', reason: 'answer too large' },
  };
  if (!isRecord(error)) return { reason: 'network error' };
  const code = codeOf(error);
  // The attempt's deadline: ECONNABORTED, which the retry policy never retries (no time is left).
  if (code === 'ETIMEDOUT' || code === 'ECONNABORTED') return { code: 'ECONNABORTED', reason: 'timed out' };
  if (code === 'ERR_BAD_RESPONSE' && String(error.message).startsWith('maxContentLength')) {
    return { code, reason: 'answer too large' };
  }
  if (code && code !== 'ERR_NETWORK') return { code, reason: code };
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 4 && isRecord(cause); depth++, cause = cause.cause) {
    const causeCode = codeOf(cause);
    if (causeCode && undici[causeCode]) return undici[causeCode];
    // undici's words for a proxy's refusal, e.g. "Proxy response (407) !== 200 when HTTP Tunneling".
    if (typeof cause.message === 'string' && /^Proxy [\w ()!=]{1,80}$/.test(cause.message)) {
      return { code: causeCode, reason: cause.message };
    }
    if (causeCode && !causeCode.startsWith('UND_ERR')) return { code: causeCode, reason: causeCode };
  }
  return { code, reason: 'network error' };
}

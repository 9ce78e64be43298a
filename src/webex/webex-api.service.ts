import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { AxiosRequestConfig, AxiosResponse, RawAxiosResponseHeaders, AxiosResponseHeaders } from 'axios';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { firstValueFrom } from 'rxjs';
import { oauthConfig, webexConfig } from '../config';
import { nextLink } from './link-header';
import {
  WebexApiError,
  WebexBadResponseError,
  WebexForbiddenError,
  WebexRateLimitedError,
  WebexRejectedError,
  WebexUnauthorizedError,
  WebexUnavailableError,
} from './webex.errors';
import type { WebexPerson, WebexRoom, WebexRoomList, WebexTokens } from './webex.types';

type Headers = RawAxiosResponseHeaders | AxiosResponseHeaders;

/** When Webex asks us to wait without saying how long. */
const DEFAULT_RETRY_AFTER_SECONDS = 30;
/** Bigger answers are not what we asked for; refuse them before they fill memory. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

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
 * WebexApiError; it logs the call, the status and Webex's trackingId, never a token or a body.
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

  /** Authorization-code grant, with the PKCE verifier of this sign-in. Never retried: a code is single use. */
  exchangeCode(code: string, codeVerifier: string): Promise<WebexTokens> {
    return this.tokenRequest('authorization_code', {
      code,
      redirect_uri: this.oauth.redirectUri,
      code_verifier: codeVerifier,
    });
  }

  refreshTokens(refreshToken: string): Promise<WebexTokens> {
    return this.tokenRequest('refresh_token', { refresh_token: refreshToken });
  }

  async getMe(accessToken: string): Promise<WebexPerson> {
    const operation = 'GET /people/me';
    const { data } = await this.send(operation, { method: 'GET', url: '/people/me', headers: bearer(accessToken) });
    if (!isRecord(data) || typeof data.id !== 'string' || typeof data.displayName !== 'string') {
      throw new WebexBadResponseError('Webex sent a person without id or displayName', operation, 200);
    }
    return {
      id: data.id,
      displayName: data.displayName,
      emails: Array.isArray(data.emails) ? data.emails.filter((e): e is string => typeof e === 'string') : undefined,
      avatar: typeof data.avatar === 'string' ? data.avatar : undefined,
    };
  }

  /** Every space the person is in, newest activity first, following Link pages up to the configured cap. */
  async listRooms(accessToken: string): Promise<WebexRoomList> {
    const operation = 'GET /rooms';
    const limit = this.config.roomsLimit;
    const rooms: WebexRoom[] = [];
    let request: AxiosRequestConfig | undefined = {
      method: 'GET',
      url: '/rooms',
      params: { max: Math.min(this.config.roomsPageSize, limit), sortBy: 'lastactivity' },
      headers: bearer(accessToken),
    };
    while (request) {
      const { data, headers } = await this.send(operation, request);
      if (!isRecord(data) || !Array.isArray(data.items)) {
        throw new WebexBadResponseError('Webex sent a room list without items', operation, 200, header(headers, 'trackingid'));
      }
      for (const item of data.items) {
        const room = toRoom(item);
        if (room) rooms.push(room);
      }
      const next = nextLink(headers.link as string | string[] | undefined);
      if (rooms.length >= limit) {
        return { rooms: rooms.slice(0, limit), truncated: rooms.length > limit || next !== undefined };
      }
      request = next ? { method: 'GET', url: this.sameOriginUrl(next, operation), headers: bearer(accessToken) } : undefined;
    }
    return { rooms, truncated: false };
  }

  onModuleDestroy(): void {
    const defaults = this.http.axiosRef.defaults as { httpAgent?: HttpAgent; httpsAgent?: HttpsAgent };
    defaults.httpAgent?.destroy();
    defaults.httpsAgent?.destroy();
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

  private async tokenRequest(grantType: 'authorization_code' | 'refresh_token', fields: Record<string, string>): Promise<WebexTokens> {
    const operation = `POST /access_token (${grantType})`;
    const body = new URLSearchParams({
      grant_type: grantType,
      client_id: this.oauth.clientId,
      client_secret: this.oauth.clientSecret,
      ...fields,
    });
    const requestedAt = Date.now();
    const { data, headers } = await this.send(operation, {
      method: 'POST',
      url: '/access_token',
      data: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    });
    if (
      !isRecord(data) ||
      typeof data.access_token !== 'string' ||
      data.access_token === '' ||
      typeof data.refresh_token !== 'string' ||
      data.refresh_token === '' ||
      typeof data.expires_in !== 'number' ||
      !(data.expires_in > 0) ||
      (data.token_type !== undefined && (typeof data.token_type !== 'string' || data.token_type.toLowerCase() !== 'bearer'))
    ) {
      throw new WebexBadResponseError('Webex sent a token answer without the expected fields', operation, 200, header(headers, 'trackingid'));
    }
    const refreshIn = typeof data.refresh_token_expires_in === 'number' ? data.refresh_token_expires_in : undefined;
    return {
      accessToken: data.access_token,
      refreshToken: data.refresh_token,
      // Counted from when we asked, so clock time spent in transit shortens the token, never lengthens it.
      accessTokenExpiresAt: requestedAt + data.expires_in * 1000,
      refreshTokenExpiresAt: refreshIn !== undefined ? requestedAt + refreshIn * 1000 : undefined,
    };
  }

  private async send(operation: string, request: AxiosRequestConfig): Promise<{ data: unknown; headers: Headers }> {
    const started = Date.now();
    let response: AxiosResponse<string>;
    try {
      response = await firstValueFrom(
        this.http.request<string>({
          ...request,
          responseType: 'text',
          validateStatus: () => true,
          maxContentLength: MAX_RESPONSE_BYTES,
          // axios' own timeout only watches an idle socket; this bounds the whole call.
          signal: AbortSignal.timeout(this.config.timeoutMs),
        }),
      );
    } catch (error) {
      const reason = describeNetworkError(error);
      this.logger.warn(`${operation} failed after ${Date.now() - started} ms: ${reason}`);
      throw new WebexUnavailableError(`Webex could not be reached (${reason})`, operation);
    }

    const { status, headers } = response;
    const trackingId = header(headers, 'trackingid');
    const elapsed = Date.now() - started;
    const data = parseJson(response.data);

    if (status >= 200 && status < 300) {
      if (data === undefined) {
        this.logger.warn(`${operation} → ${status} with a body that is not JSON, ${elapsed} ms, trackingId=${trackingId ?? '-'}`);
        throw new WebexBadResponseError('Webex sent a body that is not JSON', operation, status, trackingId);
      }
      this.logger.debug(`${operation} → ${status}, ${elapsed} ms, trackingId=${trackingId ?? '-'}`);
      return { data, headers };
    }

    const error = this.toError(operation, status, headers, data, trackingId);
    this.logger.warn(
      `${operation} → ${status}${error instanceof WebexRejectedError && error.oauthError ? ` ${error.oauthError}` : ''}, ${elapsed} ms, trackingId=${trackingId ?? '-'}`,
    );
    throw error;
  }

  private toError(operation: string, status: number, headers: Headers, data: unknown, headerTrackingId?: string): WebexApiError {
    const body = isRecord(data) ? data : {};
    const trackingId =
      headerTrackingId ??
      (typeof body.trackingId === 'string' ? body.trackingId : typeof body.trackingID === 'string' ? body.trackingID : undefined);
    const oauthError = typeof body.error === 'string' && /^[\w.-]{1,64}$/.test(body.error) ? body.error : undefined;
    const retryAfter = parseRetryAfter(header(headers, 'retry-after'));
    const isTokenCall = operation.startsWith('POST /access_token');

    if (status === 429 || ((status === 503 || status === 423) && retryAfter !== undefined)) {
      return new WebexRateLimitedError(operation, status, trackingId, retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS);
    }
    if (status >= 500) return new WebexUnavailableError(`Webex answered ${status}`, operation, status, trackingId);
    if (status === 401 && !isTokenCall) return new WebexUnauthorizedError('Webex did not accept the access token', operation, status, trackingId);
    if (status === 403 && !isTokenCall) return new WebexForbiddenError('Webex refused the call (missing scope?)', operation, status, trackingId);
    if (status >= 400) return new WebexRejectedError(`Webex refused the call (${status})`, operation, status, trackingId, oauthError);
    // 1xx/3xx: redirects are not followed (maxRedirects 0), so this is not an answer we can use.
    return new WebexBadResponseError(`Webex answered ${status}`, operation, status, trackingId);
  }
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

function toRoom(item: unknown): WebexRoom | undefined {
  if (!isRecord(item) || typeof item.id !== 'string' || typeof item.title !== 'string') return undefined;
  return {
    id: item.id,
    title: item.title,
    type: item.type === 'direct' ? 'direct' : 'group',
    lastActivity: typeof item.lastActivity === 'string' ? item.lastActivity : undefined,
    created: typeof item.created === 'string' ? item.created : undefined,
  };
}

/** A short, secret-free reason: never the error object, whose config holds headers and body. */
function describeNetworkError(error: unknown): string {
  if (isRecord(error)) {
    if (error.name === 'CanceledError' || error.code === 'ERR_CANCELED') return 'timed out';
    if (typeof error.code === 'string' && /^[A-Z_]{2,40}$/.test(error.code)) {
      return error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT' ? 'timed out' : error.code;
    }
  }
  return 'network error';
}

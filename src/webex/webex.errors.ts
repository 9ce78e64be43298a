/**
 * What can go wrong when calling Webex, as a small family the edge can map to pages.
 * None of these keeps the Axios error: its config holds the request body, client_secret included.
 */
export abstract class WebexApiError extends Error {
  abstract readonly kind: 'unauthorized' | 'forbidden' | 'rate-limited' | 'unavailable' | 'bad-response' | 'rejected';

  constructor(
    message: string,
    /** Which call failed, e.g. "GET /rooms". */
    readonly operation: string,
    readonly status?: number,
    /** Webex's id for the failed call: support asks for it. */
    readonly trackingId?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 401: the access token is missing, expired or revoked. */
export class WebexUnauthorizedError extends WebexApiError {
  readonly kind = 'unauthorized';
}

/** 403: the token lacks a scope or the person a role. */
export class WebexForbiddenError extends WebexApiError {
  readonly kind = 'forbidden';
}

/** 429 (or 503/423 with Retry-After): Webex asks us to slow down. */
export class WebexRateLimitedError extends WebexApiError {
  readonly kind = 'rate-limited';

  constructor(
    operation: string,
    status: number,
    trackingId: string | undefined,
    readonly retryAfterSeconds: number,
  ) {
    super(`Webex rate-limited ${operation}`, operation, status, trackingId);
  }
}

/** 5xx, a timeout, a reset or refused connection: try again later. */
export class WebexUnavailableError extends WebexApiError {
  readonly kind = 'unavailable';
}

/** A 2xx answer that is not the JSON we expect. */
export class WebexBadResponseError extends WebexApiError {
  readonly kind = 'bad-response';
}

/**
 * Any other 4xx: the request was refused for a reason that will not change on retry.
 * At the token endpoint `oauthError` carries the OAuth error code, e.g. `invalid_grant`.
 */
export class WebexRejectedError extends WebexApiError {
  readonly kind = 'rejected';

  constructor(
    message: string,
    operation: string,
    status: number,
    trackingId: string | undefined,
    readonly oauthError?: string,
  ) {
    super(message, operation, status, trackingId);
  }
}

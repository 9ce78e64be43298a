/**
 * What can go wrong when calling Webex, as a small family the edge can map to pages.
 * None of these keeps the Axios error: its config holds the request body, client_secret included.
 */
export abstract class WebexApiError extends Error {
  abstract readonly kind:
    | 'unauthorized'
    | 'forbidden'
    | 'not-found'
    | 'grant-refused'
    | 'rate-limited'
    | 'unavailable'
    | 'bad-response'
    | 'rejected';

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

  constructor(
    message: string,
    operation: string,
    status: number,
    trackingId: string | undefined,
    /** The scope the call declares: the one to check on the integration. */
    readonly scope?: string,
  ) {
    super(message, operation, status, trackingId);
  }
}

/** 404: no such item, or not one the person may see (Webex does not say which). */
export class WebexNotFoundError extends WebexApiError {
  readonly kind = 'not-found';
}

/**
 * 400 or 401 from the token endpoint: Webex will not honour this code or refresh token (expired,
 * revoked, used up, or the client's credentials are wrong). Decided on the status alone, as the
 * Webex SDKs do: the body may be OAuth-shaped (`error: invalid_grant`) or Webex's REST shape,
 * which has no `error` field at all.
 */
export class WebexGrantRefusedError extends WebexApiError {
  readonly kind = 'grant-refused';

  constructor(
    message: string,
    operation: string,
    status: number,
    trackingId: string | undefined,
    /** What Webex said, for the log: the OAuth `error` code and/or its description, shortened. */
    readonly reason?: string,
  ) {
    super(message, operation, status, trackingId);
  }
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

/** Any other 4xx: the request was refused for a reason that will not change on retry. */
export class WebexRejectedError extends WebexApiError {
  readonly kind = 'rejected';
}

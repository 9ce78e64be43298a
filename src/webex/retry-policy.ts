import { CONNECT_TIMEOUT_CODE } from './connect-timeout';

/**
 * When a failed call to Webex is tried again, and after how long. Pure: the service feeds it what
 * happened and how much of the call's budget is left, and does the waiting itself.
 */

/** First backoff ceiling; it doubles with every retry. */
export const BACKOFF_BASE_MS = 100;
/** No backoff ceiling above this: the whole call has a budget of a few seconds anyway. */
export const BACKOFF_CAP_MS = 1000;
/**
 * Retry-After comes in whole seconds, so "0" means "within the second": we still wait that long,
 * because a 429 is never answered with an immediate retry.
 */
export const MIN_RATE_LIMIT_WAIT_MS = 1000;

/**
 * Errors of the connection itself, where trying again on a fresh connection may well work. Not
 * ECONNABORTED: that is axios' timeout, which the service sets to the call's deadline, so there is
 * no time left to retry in (a timer that fires a few ms early must not buy a second request).
 */
const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  CONNECT_TIMEOUT_CODE,
]);

/** Gateway errors: the edge in front of Webex could not get an answer this time. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** What one attempt ended with. */
export type AttemptOutcome =
  { kind: 'network'; code?: string } | { kind: 'status'; status: number; retryAfterSeconds?: number };

export interface RetrySettings {
  /** Retries after a network error or a 502/503/504. */
  retries: number;
  /** Longest Retry-After waited out inline; 0 = never wait. */
  retryAfterMaxWaitMs: number;
}

/** Where one logical call stands. */
export interface RetryState {
  /** Only idempotent calls (GET) are ever sent twice. */
  idempotent: boolean;
  retriesUsed: number;
  rateLimitWaitUsed: boolean;
  /** Time left before the call's deadline. */
  remainingMs: number;
}

export type RetryDecision =
  | { retry: true; delayMs: number; rateLimitWait: boolean; reason: string }
  /** `reason` says why a failure that could have been retried was not; absent for a final answer like a 401. */
  | { retry: false; reason?: string };

/** Upper bound of the wait before retry number `retry` (0-based): base × 2^retry, capped. */
export function backoffCeiling(retry: number, baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, retry));
}

/**
 * Exponential backoff with full jitter: a uniform wait in [0, ceiling), so that many callers that
 * failed together do not come back together.
 */
export function backoffDelay(retry: number, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(retry));
}

/** Webex's "slow down": 429, or 503/423 that say when to come back. */
export function isRateLimit(outcome: AttemptOutcome): boolean {
  if (outcome.kind !== 'status') return false;
  const { status, retryAfterSeconds } = outcome;
  return status === 429 || ((status === 503 || status === 423) && retryAfterSeconds !== undefined);
}

export function isNetworkCodeRetryable(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

export function decideRetry(
  outcome: AttemptOutcome,
  state: RetryState,
  settings: RetrySettings,
  random: () => number = Math.random,
): RetryDecision {
  if (isRateLimit(outcome)) return decideRateLimitWait(outcome, state, settings);
  const transient =
    outcome.kind === 'network' ? isNetworkCodeRetryable(outcome.code) : RETRYABLE_STATUSES.has(outcome.status);
  if (!transient) return { retry: false };
  // A code is single use and a refresh may rotate the refresh token: a POST that reached Webex
  // once must not reach it twice.
  if (!state.idempotent) return { retry: false, reason: 'not idempotent' };
  if (state.retriesUsed >= settings.retries) return { retry: false, reason: `${settings.retries} retries used` };
  const delayMs = backoffDelay(state.retriesUsed, random);
  if (delayMs >= state.remainingMs) return { retry: false, reason: 'no time left' };
  const reason = outcome.kind === 'network' ? (outcome.code ?? 'network error') : `Webex answered ${outcome.status}`;
  return { retry: true, delayMs, rateLimitWait: false, reason };
}

function decideRateLimitWait(outcome: AttemptOutcome, state: RetryState, settings: RetrySettings): RetryDecision {
  const retryAfterSeconds = outcome.kind === 'status' ? outcome.retryAfterSeconds : undefined;
  if (!state.idempotent) return { retry: false, reason: 'not idempotent' };
  // Without Retry-After we do not know how long to wait, and guessing low is hammering.
  if (retryAfterSeconds === undefined) return { retry: false, reason: 'no Retry-After' };
  if (state.rateLimitWaitUsed) return { retry: false, reason: 'already waited once' };
  const delayMs = Math.max(retryAfterSeconds * 1000, MIN_RATE_LIMIT_WAIT_MS);
  if (delayMs > settings.retryAfterMaxWaitMs)
    return { retry: false, reason: 'Retry-After longer than the inline wait' };
  if (delayMs >= state.remainingMs) return { retry: false, reason: 'no time left' };
  return { retry: true, delayMs, rateLimitWait: true, reason: `rate limited, Retry-After ${retryAfterSeconds} s` };
}

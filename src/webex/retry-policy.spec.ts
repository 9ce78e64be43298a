import { CONNECT_TIMEOUT_CODE } from './connect-timeout';
import {
  type AttemptOutcome,
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  type RetryState,
  backoffCeiling,
  backoffDelay,
  decideRetry,
} from './retry-policy';

const settings = { retries: 2, retryAfterMaxWaitMs: 2000 };
const fresh: RetryState = { idempotent: true, retriesUsed: 0, rateLimitWaitUsed: false, remainingMs: 10_000 };
const status = (code: number, retryAfterSeconds?: number): AttemptOutcome => ({
  kind: 'status',
  status: code,
  retryAfterSeconds,
});
const network = (code?: string): AttemptOutcome => ({ kind: 'network', code });

describe('backoff', () => {
  it('starts at the base and doubles the ceiling with every retry, up to the cap', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 10, 60].map((retry) => backoffCeiling(retry));
    expect(ceilings.slice(0, 4)).toEqual([
      BACKOFF_BASE_MS,
      BACKOFF_BASE_MS * 2,
      BACKOFF_BASE_MS * 4,
      BACKOFF_BASE_MS * 8,
    ]);
    ceilings.slice(1).forEach((ceiling, i) => expect(ceiling).toBeGreaterThanOrEqual(ceilings[i]));
    expect(Math.max(...ceilings)).toBe(BACKOFF_CAP_MS);
    expect(backoffCeiling(60)).toBe(BACKOFF_CAP_MS);
  });

  it.each([0, 1, 2, 3, 8])('draws the wait before retry %i uniformly from [0, ceiling)', (retry) => {
    expect(backoffDelay(retry, () => 0)).toBe(0);
    expect(backoffDelay(retry, () => 0.5)).toBe(Math.floor(backoffCeiling(retry) / 2));
    expect(backoffDelay(retry, () => 0.999_999)).toBeLessThan(backoffCeiling(retry));
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(retry);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(backoffCeiling(retry));
    }
  });
});

describe(decideRetry.name, () => {
  it.each([
    ['a 502', status(502)],
    ['a 503 without Retry-After', status(503)],
    ['a 504', status(504)],
    ['a reset connection', network('ECONNRESET')],
    ['a refused connection', network('ECONNREFUSED')],
    ['a connect timeout', network(CONNECT_TIMEOUT_CODE)],
  ])('retries a GET after %s, with a jittered backoff', (_case, outcome) => {
    const decision = decideRetry(outcome, { ...fresh, retriesUsed: 1 }, settings, () => 0.5);
    expect(decision).toEqual({
      retry: true,
      delayMs: backoffCeiling(1) / 2,
      rateLimitWait: false,
      reason: expect.any(String),
    });
  });

  it.each([
    ['a 500', status(500)],
    ['a 400', status(400)],
    ['a 401', status(401)],
    ['a 423 without Retry-After', status(423)],
    ["the call's deadline (axios' timeout)", network('ECONNABORTED')],
    ['a cancelled request', network('ERR_CANCELED')],
    ['an unknown network error', network(undefined)],
  ])('does not retry %s', (_case, outcome) => {
    expect(decideRetry(outcome, fresh, settings)).toEqual({ retry: false });
  });

  it.each([
    ['a 503', status(503)],
    ['a reset', network('ECONNRESET')],
    ['a 429 with a short Retry-After', status(429, 1)],
  ])('never sends a non-idempotent call twice, even after %s', (_case, outcome) => {
    expect(decideRetry(outcome, { ...fresh, idempotent: false }, settings)).toEqual({
      retry: false,
      reason: 'not idempotent',
    });
  });

  it('stops after the configured number of retries, and retries: 0 means none', () => {
    expect(decideRetry(status(503), { ...fresh, retriesUsed: 2 }, settings).retry).toBe(false);
    expect(decideRetry(status(503), fresh, { ...settings, retries: 0 }).retry).toBe(false);
  });

  it('does not start a backoff that would end past the deadline', () => {
    expect(decideRetry(status(503), { ...fresh, remainingMs: 50 }, settings, () => 0.6)).toEqual({
      retry: false,
      reason: 'no time left',
    });
  });

  it.each([
    ['a 429', 429],
    ['a 503', 503],
    ['a 423', 423],
  ])('waits out %s with a short Retry-After once, as asked, without spending a retry', (_case, code) => {
    expect(decideRetry(status(code, 2), { ...fresh, retriesUsed: 2 }, settings)).toEqual({
      retry: true,
      delayMs: 2000,
      rateLimitWait: true,
      reason: 'rate limited, Retry-After 2 s',
    });
  });

  it('reads Retry-After: 0 as "within the second": it still waits, a 429 is never retried at once', () => {
    expect(decideRetry(status(429, 0), fresh, settings)).toMatchObject({ retry: true, delayMs: 1000 });
  });

  it.each([
    ['no Retry-After', status(429), fresh, settings],
    ['a Retry-After above the inline maximum', status(429, 3), fresh, settings],
    ['inline waits turned off', status(429, 1), fresh, { ...settings, retryAfterMaxWaitMs: 0 }],
    ['a second 429 in the same call', status(429, 1), { ...fresh, rateLimitWaitUsed: true }, settings],
    ['a wait longer than the budget left', status(429, 1), { ...fresh, remainingMs: 1000 }, settings],
    ['a 503 with a long Retry-After (not a plain retry)', status(503, 30), fresh, settings],
  ])('passes a rate limit on with %s', (_case, outcome, state, config) => {
    expect(decideRetry(outcome, state, config)).toEqual({ retry: false, reason: expect.any(String) });
  });
});

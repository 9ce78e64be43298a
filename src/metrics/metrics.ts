import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/*
 * One registry per process, filled by the code that does the work (sign-in, refresh, a Webex
 * attempt, a store failure) with one call each. Module-level rather than injected so the Webex
 * wrapper and the session stores need no new constructor argument: metrics are a process fact,
 * like the Node process metrics prom-client collects. Every label value comes from a fixed set
 * (route templates, operation names, error codes), never from a path, an id or a person.
 */
export const registry = new Registry();

let collectingProcessMetrics = false;

/**
 * Node's process metrics (CPU, memory, event-loop delay, GC), collected from when metrics are
 * served: the event-loop monitor and the GC observer cost a little all the time, which a service
 * with METRICS_PORT unset should not pay. Once per process (apps in one Jest run share the registry).
 */
export function collectProcessMetrics(): void {
  if (collectingProcessMetrics) return;
  collectingProcessMetrics = true;
  collectDefaultMetrics({ register: registry });
}

const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequests = new Histogram({
  name: 'wxo_http_request_duration_seconds',
  help: 'HTTP requests on the public port, by method, route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: seconds,
  registers: [registry],
});

export const signIns = new Counter({
  name: 'wxo_sign_ins_total',
  help: 'Sign-ins by stage (started, completed, failed) and, for failures, the reason code',
  labelNames: ['stage', 'reason'] as const,
  registers: [registry],
});

export const tokenRefreshes = new Counter({
  name: 'wxo_token_refreshes_total',
  help: 'Token refreshes by outcome (refreshed, refused, failed)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const webexCalls = new Histogram({
  name: 'wxo_webex_request_duration_seconds',
  help: 'Attempts at Webex calls, by operation and status (network for no answer)',
  labelNames: ['operation', 'status'] as const,
  buckets: seconds,
  registers: [registry],
});

export const webexRateLimited = new Counter({
  name: 'wxo_webex_rate_limited_total',
  help: 'Webex answers that said slow down (429, or 503 with Retry-After), by operation',
  labelNames: ['operation'] as const,
  registers: [registry],
});

export const sessionStoreErrors = new Counter({
  name: 'wxo_session_store_errors_total',
  help: 'Session store (Redis) commands that failed or timed out',
  registers: [registry],
});

export const signInRateLimitErrors = new Counter({
  name: 'wxo_sign_in_rate_limit_store_errors_total',
  help: 'Sign-ins refused with 503 because the shared rate-limit counters (Redis) did not answer',
  registers: [registry],
});

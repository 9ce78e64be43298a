import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  durationS?: number;
  /** Exactly this many requests instead of a duration. */
  amount?: number;
  headers?: Record<string, string>;
  /** Every response must be exactly this body, or it counts as a mismatch. */
  expectBody?: string;
  /** Called with each response's latency in ms (to pool the latencies of several runs). */
  onLatency?: (ms: number) => void;
}

export interface LoadResult {
  /** Mean of autocannon's per-second request counts ("Req/Sec avg"). */
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  total: number;
  durationS: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
}

/** One autocannon run in this process (pinned to the load-generator core). */
export async function cannon(options: LoadOptions): Promise<LoadResult> {
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationS ?? 10,
        amount: options.amount,
        headers: options.headers,
        expectBody: options.expectBody,
        timeout: 10,
      },
      (error, done) => (error ? reject(error as Error) : resolve(done)),
    );
    const { onLatency } = options;
    if (onLatency) run.on('response', (_client, _status, _bytes, ms) => onLatency(ms));
  });
  return {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    total: result.requests.total,
    durationS: result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
  };
}

/** A run whose responses were not all the expected 200s measures something else: it fails the figure. */
export function problemsOf(result: LoadResult): string | undefined {
  const bad = result.non2xx + result.errors + result.mismatches;
  if (bad === 0) return undefined;
  return `${result.non2xx} non-2xx, ${result.errors} errors (${result.timeouts} timeouts), ${result.mismatches} wrong bodies of ${result.total}`;
}

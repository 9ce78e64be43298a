import autocannon from 'autocannon';

/**
 * One autocannon run from this process (pinned to the load generator's core), as fast as the
 * server answers or, with `perSecond`, at that offered rate. Every answer must be a 2xx with
 * exactly `expectBody`, or the run measured something else and fails.
 */
export async function cannon(options: {
  url: string;
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
  expectBody?: string;
  perSecond?: number;
}): Promise<{ total: number; rps: number; p99Ms: number }> {
  const { url, connections, headers, expectBody } = options;
  const result = await new Promise<autocannon.Result>((resolve, reject) =>
    autocannon(
      {
        url,
        connections,
        headers,
        expectBody,
        duration: options.durationS,
        timeout: 10,
        ...(options.perSecond ? { overallRate: options.perSecond } : {}),
      },
      (error, done) => (error ? reject(error as Error) : resolve(done)),
    ),
  );
  const { non2xx, errors, timeouts, mismatches, requests } = result;
  if (non2xx + errors + mismatches > 0)
    throw new Error(
      `${url}: ${non2xx} non-2xx, ${errors} errors (${timeouts} timeouts), ${mismatches} wrong bodies of ${requests.total}`,
    );
  return { total: requests.total, rps: Math.round(requests.average), p99Ms: result.latency.p99 };
}

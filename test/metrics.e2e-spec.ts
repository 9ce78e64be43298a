import request from 'supertest';
import { MetricsModule } from '../src/metrics';
import { callbackPath, signedIn } from './support/flow';
import { useSuiteApp } from './support/suite';

/** The value of one sample in Prometheus text format (0 when the series does not exist yet). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const valueAt = line.lastIndexOf(' ');
    const labelText = line.slice(name.length, valueAt);
    if (wanted.every((l) => labelText.includes(l))) return Number(line.slice(valueAt + 1));
  }
  return 0;
}

describe('Prometheus metrics', () => {
  const suite = useSuiteApp({ env: { METRICS_PORT: '0' }, listen: true });
  const metricsPort = () => {
    const port = suite.booted.app.get(MetricsModule).port;
    if (port === undefined) throw new Error('metrics are not listening');
    return port;
  };
  const scrape = async () => {
    const response = await request(`http://127.0.0.1:${metricsPort()}`).get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text;
  };

  it('serves metrics on their own port, never on the public one', async () => {
    expect(metricsPort()).not.toBe(suite.port);
    expect((await suite.booted.request().get('/metrics')).status).toBe(404);
    expect((await request(`http://127.0.0.1:${metricsPort()}`).get('/')).status).toBe(404);
    const text = await scrape();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts requests by route template and status, never by raw path', async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
    const before = await scrape();
    const spaceId = 'Y2lzY29zcGFyazovL3VzL1JPT00vbm90LWEtcmVhbC1yb29t';
    await agent.get(`/spaces/${spaceId}`);
    await agent.get('/listrooms').expect(200);
    await suite.booted.request().get('/no/such/page').expect(404);
    const after = await scrape();

    const count = (text: string, labels: Record<string, string>) =>
      sample(text, 'wxo_http_request_duration_seconds_count', labels);
    expect(
      count(after, { route: '/listrooms', status: '200' }) - count(before, { route: '/listrooms', status: '200' }),
    ).toBe(1);
    expect(count(after, { route: '/spaces/:roomId' }) - count(before, { route: '/spaces/:roomId' })).toBe(1);
    expect(
      count(after, { route: 'unmatched', status: '404' }) - count(before, { route: 'unmatched', status: '404' }),
    ).toBe(1);
    expect(after).not.toContain(spaceId);
    expect(after).not.toContain('/no/such/page');
  });

  it('counts sign-ins started, completed and failed by reason, and Webex calls by operation and status', async () => {
    const before = await scrape();
    await signedIn(suite.booted.agent(), suite.emulator, 'alice');
    await suite.booted.agent().get(callbackPath({ code: 'x', state: 'never-issued' }));
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta('wxo_sign_ins_total', { stage: 'started' })).toBe(1);
    expect(delta('wxo_sign_ins_total', { stage: 'completed' })).toBe(1);
    expect(delta('wxo_sign_ins_total', { stage: 'failed', reason: 'state_mismatch' })).toBe(1);
    expect(delta('wxo_webex_request_duration_seconds_count', { operation: 'GET /people/me', status: '200' })).toBe(1);
  });

  it('counts token refreshes by outcome and rate-limited Webex answers', async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
    const before = await scrape();
    suite.emulator.controls.expireAccessTokens({ handle: 'alice' });
    await agent.get('/listrooms').expect(200);
    suite.emulator.controls.injectFault({ route: 'rooms', kind: 'rate-limit', retryAfterSeconds: 30, times: 1 });
    await agent.get('/listrooms').expect(503);
    // Webex also says "slow down" with a 503 and Retry-After: counted by the same rule.
    suite.emulator.controls.injectFault({
      route: 'rooms',
      kind: 'status',
      status: 503,
      retryAfterSeconds: 30,
      times: 1,
    });
    await agent.get('/listrooms').expect(503);
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta('wxo_token_refreshes_total', { outcome: 'refreshed' })).toBe(1);
    expect(delta('wxo_webex_rate_limited_total')).toBe(2);
    expect(delta('wxo_webex_request_duration_seconds_count', { status: '429' })).toBe(1);
  });
});

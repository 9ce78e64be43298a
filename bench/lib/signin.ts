import http from 'node:http';
import { cookieHeader, cookiesOf, request } from './http';
import { quantile } from './report';

export interface FlowStats {
  flows: number;
  errors: number;
  flowsPerSecond: number;
  p99Ms: number;
  firstError?: string;
}

/**
 * A browser signing in, hop by hop, with auto-consent at the emulator:
 * GET /login → 302 authorize → 302 callback → 303 / → GET / showing the name.
 * Each hop's status and target are checked, so a flow only counts when it really signed in.
 */
export class SignInClient {
  private readonly serviceAgent: http.Agent;
  private readonly webexAgent: http.Agent;

  constructor(
    private readonly serviceOrigin: string,
    private readonly authorizeEndpoint: string,
    private readonly displayName: string,
    sockets = 64,
  ) {
    // With a timeout, Node honours the servers' Keep-Alive hint: an idle socket is closed here
    // before the server closes it under a new request (ECONNRESET between the bench's phases).
    this.serviceAgent = new http.Agent({ keepAlive: true, maxSockets: sockets, timeout: 30_000 });
    this.webexAgent = new http.Agent({ keepAlive: true, maxSockets: sockets, timeout: 30_000 });
  }

  /** Signs in once; returns the session cookie header. */
  async signIn(): Promise<string> {
    const login = await request(`${this.serviceOrigin}/login`, { agent: this.serviceAgent });
    const authorize = expectRedirect(login, 302, this.authorizeEndpoint, 'GET /login');
    const jar = cookiesOf(login.headers);
    if (jar.size === 0) throw new Error('GET /login set no cookie');

    const consent = await request(authorize, { agent: this.webexAgent });
    const callback = expectRedirect(consent, 302, `${this.serviceOrigin}/`, 'GET authorize (auto-consent)');

    const back = await request(callback, { agent: this.serviceAgent, headers: { cookie: cookieHeader(jar) } });
    expectRedirect(back, 303, '/', 'GET callback');
    for (const [name, value] of cookiesOf(back.headers)) jar.set(name, value);
    const cookie = cookieHeader(jar);

    const home = await request(`${this.serviceOrigin}/`, { agent: this.serviceAgent, headers: { cookie } });
    if (home.status !== 200 || !home.body.includes(this.displayName)) {
      throw new Error(`GET / after sign-in → ${home.status}, without "${this.displayName}"`);
    }
    return cookie;
  }

  /**
   * `concurrency` browsers signing in over and over, until `durationMs` passes or `count` flows are
   * done; with `perSecond`, flow n starts no earlier than n / perSecond seconds in (an offered rate).
   */
  async run(
    concurrency: number,
    until: { durationMs?: number; count?: number; perSecond?: number },
  ): Promise<FlowStats> {
    const times: number[] = [];
    let errors = 0;
    let started = 0;
    let firstError: string | undefined;
    const begin = performance.now();
    const deadline = until.durationMs === undefined ? Infinity : begin + until.durationMs;
    const more = (): boolean =>
      performance.now() < deadline && (until.count === undefined || started < until.count) && errors <= 20;
    const worker = async (): Promise<void> => {
      while (more()) {
        if (until.perSecond !== undefined) {
          const due = begin + (started / until.perSecond) * 1000 - performance.now();
          if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
          if (!more()) break;
        }
        started++;
        const t0 = performance.now();
        try {
          await this.signIn();
          times.push(performance.now() - t0);
        } catch (error) {
          errors++;
          firstError ??= (error as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - begin) / 1000;
    const p99Ms = times.length ? Math.round(quantile(times, 0.99) * 10) / 10 : 0;
    return { flows: times.length, errors, flowsPerSecond: Math.round(times.length / seconds), p99Ms, firstError };
  }

  close(): void {
    this.serviceAgent.destroy();
    this.webexAgent.destroy();
  }
}

function expectRedirect(
  res: { status: number; headers: http.IncomingHttpHeaders },
  status: number,
  prefix: string,
  step: string,
): string {
  const location = res.headers.location ?? '';
  if (res.status !== status || !location.startsWith(prefix)) {
    throw new Error(`${step} → ${res.status} ${location.slice(0, 120)} (expected ${status} to ${prefix}…)`);
  }
  return location;
}

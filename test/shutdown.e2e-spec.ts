import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebexEmulator } from '../src/sandbox';
import { E2E_SESSION_SECRET, freePort } from './support/app';
import { builtFile } from './support/built';
import { E2E_CLIENT, portalAuthorizeUrl, startTestEmulator } from './support/emulator';
import { consent } from './support/flow';
import { until } from './support/until';

const ROOT = join(__dirname, '..');

/** The real entry point, as `node dist/main.js` runs it, in its own process (built by this test run). */
class ServiceProcess {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; at: number }>;
  private readonly child: ChildProcess;
  private cookie = '';

  constructor(
    readonly port: number,
    env: Record<string, string>,
  ) {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !/^(AUTH_INIT_URL|CLIENT_SECRET|SESSION_|WEBEX_|LOG_|PORT|HOST)/.test(name),
      ),
    );
    this.child = spawn(process.execPath, [builtFile('src/main.ts')], {
      cwd: ROOT,
      env: { ...base, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve({ code, at: Date.now() })));
  }

  signal(name: NodeJS.Signals): number {
    this.child.kill(name);
    return Date.now();
  }

  async fetch(path: string): Promise<Response> {
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      redirect: 'manual',
      headers: this.cookie ? { cookie: this.cookie } : {},
    });
    const set = response.headers.getSetCookie()[0];
    if (set) this.cookie = set.split(';')[0];
    return response;
  }

  async ready(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const alive = await this.fetch('/health/live').then(
        (r) => r.ok,
        () => false,
      );
      if (alive) return;
      await sleep(100);
    }
    throw new Error(`the service did not start:\n${this.output.join('')}`);
  }

  /** /login and consent at the emulator; returns the callback path, not yet followed. */
  async consentedCallback(): Promise<string> {
    const login = await this.fetch('/login');
    const callback = await consent(new URL(login.headers.get('location')!), 'alice');
    return callback.pathname + callback.search;
  }

  /** Ends the process if it is still running, and waits until it has. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

describe('graceful shutdown (SIGTERM/SIGINT)', () => {
  let emulator: WebexEmulator;
  let service: ServiceProcess | undefined;
  jest.setTimeout(40_000);

  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterEach(async () => {
    await service?.kill();
    emulator.controls.reset();
  });
  afterAll(() => emulator.close());

  const tokenRequests = () => emulator.controls.stats().requests.token;

  async function start(env: Record<string, string> = {}): Promise<ServiceProcess> {
    service = new ServiceProcess(await freePort(), {
      NODE_ENV: 'production',
      AUTH_INIT_URL: portalAuthorizeUrl(emulator),
      CLIENT_SECRET: E2E_CLIENT.clientSecret,
      SESSION_SECRET: E2E_SESSION_SECRET,
      LOGIN_RATE_LIMIT: '0',
      LOG_LEVEL: 'warn',
      ...env,
    });
    await service.ready();
    return service;
  }

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s lets a code exchange under way finish, refuses new connections, and exits 0',
    async (signal) => {
      const app = await start({ SHUTDOWN_GRACE_MS: '10000' });
      const callback = await app.consentedCallback();
      emulator.controls.injectFault({ route: 'token', kind: 'slow', delayMs: 1000 });
      let signedIn = false;
      const signingIn = app.fetch(callback).finally(() => (signedIn = true));
      await until('the code exchange to reach Webex', () => tokenRequests() === 1);
      const signalledAt = app.signal(signal);

      await until('a new connection to be refused', () =>
        fetch(`http://127.0.0.1:${app.port}/health/live`).then(
          () => false,
          () => true,
        ),
      );
      // Refused while the code exchange was still under way.
      expect(signedIn).toBe(false);
      const finished = await signingIn;
      expect(finished.status).toBe(303);
      expect(finished.headers.get('location')).toBe('/');
      expect(emulator.controls.stats().tokenGrants.authorization_code).toBe(1);

      const { code, at } = await app.exited;
      expect(code).toBe(0);
      expect(at - signalledAt).toBeLessThan(10_000);
    },
  );

  it('writes every request line before it exits: the asynchronous log buffer is flushed', async () => {
    const app = await start({ LOG_LEVEL: 'log', LOG_FORMAT: 'json' });
    const requests = 400;
    const answers = await Promise.all(Array.from({ length: requests }, () => app.fetch('/')));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);

    const lines = app.output
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string });
    expect(lines.filter((l) => l.msg.startsWith('GET / 200 ')).length).toBe(requests);
    expect(lines.at(-1)?.msg).toBe('stopped');
  });

  it('cuts what is still running when the grace period is over, and still exits 0', async () => {
    const app = await start({ SHUTDOWN_GRACE_MS: '800', WEBEX_TIMEOUT_MS: '30000' });
    const callback = await app.consentedCallback();
    emulator.controls.injectFault({ route: 'token', kind: 'hang' });
    const hanging = app.fetch(callback).then(
      (r) => r.status,
      () => 'cut',
    );
    await until('the code exchange to reach Webex', () => tokenRequests() === 1);
    const signalledAt = app.signal('SIGTERM');
    const { code, at } = await app.exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeGreaterThanOrEqual(700);
    expect(at - signalledAt).toBeLessThan(5_000);
    expect(await hanging).toBe('cut');
    expect(app.output.join('')).toMatch(/grace period over/);
  });
});

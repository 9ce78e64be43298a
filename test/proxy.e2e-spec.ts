import { type AddressInfo, type Socket, createServer } from 'node:net';
import type { WebexEmulator } from '../src/sandbox';
import { bootApp, type BootedApp, type EnvOverrides } from './support/app';
import { startTestEmulator } from './support/emulator';
import { consent, followCallback, signedIn, startLogin } from './support/flow';
import { type ForwardProxy, type ProxiedExchange, startForwardProxy } from './support/forward-proxy';
import { h1Of, roomTitlesOf } from './support/html';

const SPACES_LIST = 'Webex Integration example: Spaces List';
const ERROR = 'Webex Integration example: Error';
const PROXY_ENV = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'] as const;

/**
 * The service's calls to Webex go through the proxy its environment names, as in a company
 * network. Here a real forward proxy on loopback stands between the service and the emulator.
 * Nothing skips loopback by default (undici goes direct only for hosts NO_PROXY lists), so the
 * emulator on 127.0.0.1 is reached through the proxy unless NO_PROXY says otherwise.
 */
describe('Calls to Webex through a proxy (HTTP_PROXY, HTTPS_PROXY, NO_PROXY)', () => {
  let emulator: WebexEmulator;
  let proxy: ForwardProxy;
  let booted: BootedApp | undefined;
  // bootApp starts every app without these; the proxy's are given to each boot below. undici
  // reads the proxies when the app is built and NO_PROXY on every call: the env stays as booted
  // until the app is closed, and is put back as it was for whatever runs after this file.
  const saved = Object.fromEntries(PROXY_ENV.map((name) => [name, process.env[name]]));

  beforeAll(async () => {
    emulator = await startTestEmulator();
    proxy = await startForwardProxy();
  });
  afterEach(async () => {
    await booted?.close();
    booted = undefined;
    proxy.seen.length = 0;
    emulator.controls.reset();
  });
  afterAll(async () => {
    await proxy.close();
    await emulator.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const boot = async (env: EnvOverrides) => {
    booted = await bootApp(emulator, env);
    return booted;
  };
  const apiOrigin = () => emulator.origin;

  /** Signs alice in and loads her spaces; every page answers as without a proxy. */
  async function signInAndListRooms(app: BootedApp): Promise<void> {
    const agent = await signedIn(app.agent(), emulator, 'alice');
    const page = await agent.get('/listrooms');
    expect(page.status).toBe(200);
    expect(h1Of(page.text)).toBe(SPACES_LIST);
    expect(roomTitlesOf(page.text)).toHaveLength(7);
  }

  const throughProxy = (): ProxiedExchange[] => [
    { method: 'POST', target: `${apiOrigin()}/v1/access_token` },
    { method: 'GET', target: `${apiOrigin()}/v1/people/me` },
    { method: 'GET', target: expect.stringMatching(new RegExp(`^${apiOrigin()}/v1/rooms\\?`)) },
  ];

  it('sends the token exchange, /people/me and /rooms through the proxy HTTP_PROXY names', async () => {
    const app = await boot({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url });

    await signInAndListRooms(app);

    expect(proxy.seen).toEqual(expect.arrayContaining(throughProxy()));
    // Every call the service made went through it, and only calls to the API did.
    expect(emulator.controls.stats().tokenGrants.authorization_code).toBe(1);
    expect(proxy.seen.every((seen) => seen.target.startsWith(`${apiOrigin()}/v1/`))).toBe(true);
    expect(proxy.seen.filter((seen) => seen.target.includes('/people/me'))).toHaveLength(
      emulator.controls.stats().requests['people/me'],
    );
  });

  it('takes the lower-case http_proxy as well', async () => {
    const app = await boot({ http_proxy: proxy.url });

    await signInAndListRooms(app);

    expect(proxy.seen).toEqual(expect.arrayContaining(throughProxy()));
  });

  it('goes direct to a host that NO_PROXY lists: the proxy sees nothing', async () => {
    const host = new URL(apiOrigin()).hostname;
    const app = await boot({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: `example.invalid,${host}` });

    await signInAndListRooms(app);

    expect(proxy.seen).toEqual([]);
    expect(emulator.controls.stats().requests['people/me']).toBeGreaterThan(0);
  });

  it('tunnels to an https Webex with CONNECT, and bounds connecting through the tunnel', async () => {
    // A Webex that accepts TCP and never says a word: the TLS handshake inside the tunnel hangs.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const app = await boot({
        HTTPS_PROXY: proxy.url,
        WEBEX_API_BASE_URL: `https://127.0.0.1:${port}/v1`,
        WEBEX_CONNECT_TIMEOUT_MS: '200',
        WEBEX_TIMEOUT_MS: '5000',
      });
      const agent = app.agent();
      const { authorizeUrl } = await startLogin(agent);
      const callbackUrl = await consent(authorizeUrl, 'alice');

      const started = Date.now();
      const callback = await followCallback(agent, callbackUrl);

      expect(callback.status).toBe(502);
      expect(h1Of(callback.text)).toBe(ERROR);
      expect(Date.now() - started).toBeLessThan(3_000);
      // The proxy saw where to, never what: no path, no code, no secret.
      expect(proxy.seen).toEqual([{ method: 'CONNECT', target: `127.0.0.1:${port}` }]);
      expect(app.logger.text).toMatch(/POST \/access_token \(authorization_code\) failed: connect timed out/);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

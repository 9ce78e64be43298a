import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { createEmulatorApp } from './emulator-app';
import { checkSeedHandle, resolveOptions } from './emulator-options';
import { EmulatorState, type EmulatorSnapshot } from './emulator-state';
import { EmulatorStatsCounter } from './emulator-stats';
import type { EmulatorControls, EmulatorOptions, SeedUserSummary, WebexEmulator } from './emulator.types';
import { DelayedResponses, FaultBoard } from './faults';
import { checkIdTokenFault, OidcProvider } from './oidc-provider';
import { RouteRegistry } from './route-registry';
import { SEED_USERS } from './seed-data';

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The origin clients should use: a wildcard bind is reached through loopback. */
function originOf(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

const USERS: readonly SeedUserSummary[] = Object.freeze(
  [...SEED_USERS.values()].map((user) =>
    Object.freeze({
      handle: user.handle,
      id: user.person.id,
      displayName: user.person.displayName,
      email: user.person.emails[0],
      roomCount: user.roomCount,
    }),
  ),
);

/**
 * Starts a Webex stand-in (OAuth authorize/token, people/me, rooms) on a real HTTP port. It
 * follows Webex's documented behaviour, not this service's code, so the two cannot share a bug.
 */
export async function startWebexEmulator(options: EmulatorOptions): Promise<WebexEmulator> {
  const settings = resolveOptions(options);
  const routes = new RouteRegistry();
  const stats = new EmulatorStatsCounter(routes);
  const faults = new FaultBoard(settings.log, routes);
  const delays = new DelayedResponses();
  const state = new EmulatorState(settings);
  const oidc = new OidcProvider();
  const persistence = settings.stateFile ? new StateFile(settings.stateFile, state) : undefined;
  const controls: EmulatorControls = {
    reset: () => {
      faults.reset();
      stats.reset();
      state.resetSettings();
      oidc.setIdTokenFault(undefined);
    },
    setTokenLifetimes: (lifetimes) => state.setTokenLifetimes(lifetimes),
    setRotateRefreshTokens: (on) => state.setRotateRefreshTokens(on),
    setTokenErrorShape: (shape) => state.setTokenErrorShape(shape),
    expireAccessTokens: (filter) => state.expireAccessTokens(filter?.handle),
    revokeTokens: (filter) => state.revokeTokens(filter?.handle),
    setLatency: (ms, route) => faults.setLatency(ms, route),
    injectFault: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    stats: () => stats.snapshot(),
    issueTokens: (handle, clientId, scopes) => state.issueTokens(checkSeedHandle(handle), clientId, scopes),
    rotateSigningKeys: () => oidc.rotateKeys(),
    setIdTokenFault: (fault) => oidc.setIdTokenFault(checkIdTokenFault(fault)),
  };
  let origin = '';
  // Building the app registers its routes' names and scopes.
  const app = createEmulatorApp({
    settings,
    state,
    routes,
    faults,
    delays,
    stats,
    controls,
    oidc,
    origin: () => origin,
  });
  const server = createServer(app);
  server.on('connection', () => {
    stats.connections++;
  });
  if (persistence)
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => res.on('finish', () => persistence.changed()));
  try {
    await listen(server, settings.host, settings.port);
  } catch (error) {
    state.dispose();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  origin = originOf(settings.host, port);
  settings.log(
    `Webex emulator listening on ${origin} (offline sandbox, not Webex; ${settings.clients.size} client(s), ` +
      `test controls ${settings.testControls ? 'on' : 'off'})`,
  );

  let closing: Promise<void> | undefined;
  return {
    origin,
    apiBaseUrl: `${origin}/v1`,
    port,
    users: USERS,
    scopes: routes.scopes(),
    controls,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        persistence?.save();
        state.dispose();
        delays.cancelAll();
        server.close(() => resolve());
        // Hung and keep-alive sockets would hold close() open until their clients let go.
        server.closeAllConnections();
      })),
  };
}

/** Development persistence of consents, codes and tokens: batched, atomic writes. */
class StateFile {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly state: EmulatorState,
  ) {
    try {
      state.restore(JSON.parse(readFileSync(file, 'utf8')) as Partial<EmulatorSnapshot>);
    } catch {
      // Nothing saved yet, or unreadable: start with no grants.
    }
  }

  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.save(), 100);
    this.timer.unref();
  }

  save(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(this.state.snapshot()), { mode: 0o600 });
    renameSync(temp, this.file);
  }
}

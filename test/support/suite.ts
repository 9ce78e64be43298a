import type { WebexEmulator } from '../../src/sandbox';
import { bootApp, freePort, type BootedApp, type EnvOverrides } from './app';
import { E2E_CLIENT, portalAuthorizeUrl, startTestEmulator, type TestEmulatorOptions } from './emulator';

export interface SuiteApp {
  /** The suite's Webex emulator, as Webex. */
  readonly emulator: WebexEmulator;
  /** The service, wired to it as to Webex. */
  readonly booted: BootedApp;
  /** With `listen`: the port the service listens on (127.0.0.1), for raw requests. */
  readonly port: number;
}

/**
 * The usual e2e suite: one emulator and one app for the file, started before its first test and
 * closed after its last; the emulator's faults, latency and settings are reset after each test.
 * Read `suite.emulator` and `suite.booted` inside tests and hooks (they exist once beforeAll ran).
 * With `emulator.grantedScopes`, the integration has only those, and AUTH_INIT_URL says so.
 */
export function useSuiteApp(
  options: { emulator?: TestEmulatorOptions; env?: EnvOverrides; listen?: boolean } = {},
): SuiteApp {
  let emulator: WebexEmulator | undefined;
  let booted: BootedApp | undefined;
  let port: number | undefined;
  beforeAll(async () => {
    emulator = await startTestEmulator(options.emulator);
    const scopes = options.emulator?.grantedScopes;
    const granted = scopes ? { AUTH_INIT_URL: portalAuthorizeUrl(emulator, { ...E2E_CLIENT, scopes }) } : {};
    if (options.listen) port = await freePort();
    booted = await bootApp(emulator, { ...granted, ...options.env }, { listenPort: port });
  });
  afterEach(() => emulator?.controls.reset());
  afterAll(async () => {
    await booted?.close();
    await emulator?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('The suite’s app is used before beforeAll started it');
    return value;
  };
  return {
    get emulator() {
      return started(emulator);
    },
    get booted() {
      return started(booted);
    },
    get port() {
      return started(port);
    },
  };
}

import type { WebexEmulator } from '../../src/sandbox';
import { bootApp, type BootedApp, type BootOptions, type EnvOverrides } from './app';
import { startTestEmulator, type TestEmulatorOptions } from './emulator';

export interface SuiteApp {
  /** The suite's Webex emulator, as Webex. */
  readonly emulator: WebexEmulator;
  /** The service, wired to it as to Webex. */
  readonly booted: BootedApp;
}

/**
 * The usual e2e suite: one emulator and one app for the file, started before its first test and
 * closed after its last; the emulator's faults, latency and settings are reset after each test.
 * Read `suite.emulator` and `suite.booted` inside tests and hooks (they exist once beforeAll ran).
 */
export function useSuiteApp(
  options: { emulator?: TestEmulatorOptions; env?: EnvOverrides; boot?: BootOptions } = {},
): SuiteApp {
  let emulator: WebexEmulator | undefined;
  let booted: BootedApp | undefined;
  beforeAll(async () => {
    emulator = await startTestEmulator(options.emulator);
    booted = await bootApp(emulator, options.env, options.boot);
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
  };
}

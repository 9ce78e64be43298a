import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEBEX_CALL_SCOPES } from '../../src/webex/webex.calls';

/** The integration every bench run registers with the emulator, and the person who signs in. */
export const CLIENT_ID = 'bench-client';
export const USER = { handle: 'alice', displayName: 'Alice Sandbox', rooms: 7 };

/**
 * `npm run start:prod` of the checkout at `root`, split at its entry point: the service is
 * measured as it is run, and nothing here knows more of dist/ than that command says.
 */
export function productionCommand(root: string): { flags: string[]; entry: string } {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = pkg.scripts['start:prod'].trim().split(/\s+/);
  if (words[0] !== 'node') throw new Error(`start:prod does not start with node: ${pkg.scripts['start:prod']}`);
  return { flags: words.slice(1, -1), entry: words[words.length - 1] };
}

/**
 * `node` arguments for the standalone emulator of the checkout's build, registered with every
 * redirect URI given, and how it says where it listens.
 */
export function emulatorCommand(options: { port: number; secret: string; redirectUris: string[] }) {
  return {
    args: [
      ...['dist/sandbox/cli.js', '--port', String(options.port), '--test-controls', '--auto-consent', USER.handle],
      // `=`: a random secret may start with '-', which would read as an option.
      ...['--client-id', CLIENT_ID, `--client-secret=${options.secret}`, '--scopes', WEBEX_CALL_SCOPES.join(' ')],
      ...options.redirectUris.flatMap((uri) => ['--redirect-uri', uri]),
    ],
    ready: /Webex emulator \(offline sandbox, not Webex\) at (http:\S+)/,
  };
}

/**
 * The service's environment for a bench run: production, against the emulator, memory sessions,
 * no sign-in limit, on loopback, the default LOG_LEVEL (a line per request).
 */
export function serviceEnv(options: {
  emulatorOrigin: string;
  serviceOrigin: string;
  secret: string;
  sessionSecret: string;
}): Record<string, string> {
  const redirect = encodeURIComponent(`${options.serviceOrigin}/oauth`);
  const { port, hostname } = new URL(options.serviceOrigin);
  return {
    NODE_ENV: 'production',
    AUTH_INIT_URL:
      `${options.emulatorOrigin}/v1/authorize?client_id=${CLIENT_ID}&response_type=code` +
      `&redirect_uri=${redirect}&scope=${encodeURIComponent(WEBEX_CALL_SCOPES.join(' '))}`,
    CLIENT_SECRET: options.secret,
    SESSION_SECRET: options.sessionSecret,
    SESSION_STORE: 'memory',
    LOGIN_RATE_LIMIT: '0',
    PORT: port,
    HOST: hostname,
  };
}

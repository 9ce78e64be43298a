import { parseArgs } from 'node:util';
import type { EmulatorOptions, TokenErrorShape } from './emulator.types';

export const CLI_USAGE = `Usage: npm run sandbox:emulator -- [options]
       node dist/sandbox/cli.js [options]

Starts the offline Webex emulator (OAuth authorize/token, /v1/people/me, /v1/rooms).
Each option can also come from the environment variable shown; a flag wins.

  --port N                  port to listen on (0 = any free port)    WEBEX_EMULATOR_PORT           default 8081
  --host HOST               address to bind                          WEBEX_EMULATOR_HOST           default 127.0.0.1
  --client-id ID            the integration's client id              WEBEX_EMULATOR_CLIENT_ID      default sandbox-client
  --client-secret SECRET    the integration's client secret          WEBEX_EMULATOR_CLIENT_SECRET  default sandbox-secret
  --redirect-uri URI        a registered redirect URI (repeatable)   WEBEX_EMULATOR_REDIRECT_URIS  default http://localhost:8080/oauth
                            (the variable takes space-separated URIs)
  --scopes "A B"            the integration's scopes                 WEBEX_EMULATOR_SCOPES         default "spark:people_read spark:rooms_read spark:kms"
  --test-controls           mount the /_emulator/* control routes    WEBEX_EMULATOR_TEST_CONTROLS=true
  --rotate-refresh-tokens   each refresh issues a new refresh token  WEBEX_EMULATOR_ROTATE_REFRESH_TOKENS=true
  --require-pkce            refuse authorize requests without PKCE   WEBEX_EMULATOR_REQUIRE_PKCE=true
  --token-errors SHAPE      token error bodies: rest (as Webex) or oauth  WEBEX_EMULATOR_TOKEN_ERRORS  default rest
  --access-token-ttl SECS   access token lifetime                    WEBEX_EMULATOR_ACCESS_TOKEN_TTL   default 43200
  --refresh-token-ttl SECS  refresh token lifetime                   WEBEX_EMULATOR_REFRESH_TOKEN_TTL  default 5184000
  --auto-consent USER       skip the consent page, sign in as USER   WEBEX_EMULATOR_AUTO_CONSENT   (alice, bob, carol, mallory)
  --help                    show this help
`;

export const CLI_DEFAULTS = {
  port: 8081,
  host: '127.0.0.1',
  clientId: 'sandbox-client',
  clientSecret: 'sandbox-secret',
  redirectUris: ['http://localhost:8080/oauth'],
  scopes: ['spark:people_read', 'spark:rooms_read', 'spark:kms'],
} as const;

/** A bad flag or value: the CLI prints the message and exits 1. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export type CliCommand = { help: true } | { help: false; options: EmulatorOptions };

type Env = Record<string, string | undefined>;

const PARSE_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  scopes: { type: 'string' },
  'test-controls': { type: 'boolean' },
  'rotate-refresh-tokens': { type: 'boolean' },
  'require-pkce': { type: 'boolean' },
  'token-errors': { type: 'string' },
  'access-token-ttl': { type: 'string' },
  'refresh-token-ttl': { type: 'string' },
  'auto-consent': { type: 'string' },
  help: { type: 'boolean' },
} as const;

type Flag = Exclude<keyof typeof PARSE_OPTIONS, 'help'>;

const ENV_NAMES: Record<Flag, string> = {
  port: 'WEBEX_EMULATOR_PORT',
  host: 'WEBEX_EMULATOR_HOST',
  'client-id': 'WEBEX_EMULATOR_CLIENT_ID',
  'client-secret': 'WEBEX_EMULATOR_CLIENT_SECRET',
  'redirect-uri': 'WEBEX_EMULATOR_REDIRECT_URIS',
  scopes: 'WEBEX_EMULATOR_SCOPES',
  'test-controls': 'WEBEX_EMULATOR_TEST_CONTROLS',
  'rotate-refresh-tokens': 'WEBEX_EMULATOR_ROTATE_REFRESH_TOKENS',
  'require-pkce': 'WEBEX_EMULATOR_REQUIRE_PKCE',
  'token-errors': 'WEBEX_EMULATOR_TOKEN_ERRORS',
  'access-token-ttl': 'WEBEX_EMULATOR_ACCESS_TOKEN_TTL',
  'refresh-token-ttl': 'WEBEX_EMULATOR_REFRESH_TOKEN_TTL',
  'auto-consent': 'WEBEX_EMULATOR_AUTO_CONSENT',
};

function integer(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new CliUsageError(`${name} must be an integer from ${min} to ${max}.`);
  }
  return value;
}

function envBoolean(text: string, name: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off|)$/i.test(text)) return false;
  throw new CliUsageError(`${name} must be true or false.`);
}

function tokenErrors(text: string | undefined): TokenErrorShape | undefined {
  if (text === undefined || text === 'rest' || text === 'oauth') return text;
  throw new CliUsageError('--token-errors must be rest or oauth.');
}

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** Reads flags, then the environment, then the defaults. Pure, so it is tested without a process. */
export function parseCliArgs(argv: readonly string[], env: Env = {}): CliCommand {
  let values: ReturnType<typeof parseArgs<{ options: typeof PARSE_OPTIONS }>>['values'];
  try {
    values = parseArgs({ args: [...argv], options: PARSE_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  if (values.help) return { help: true };

  const text = (flag: Flag): string | undefined => {
    const value = values[flag];
    return typeof value === 'string' ? value : env[ENV_NAMES[flag]];
  };
  const on = (flag: Flag): boolean => {
    const fromEnv = env[ENV_NAMES[flag]];
    return values[flag] === true || (fromEnv !== undefined && envBoolean(fromEnv, ENV_NAMES[flag]));
  };
  const ttl = (flag: Flag): number | undefined => {
    const value = text(flag);
    return value === undefined ? undefined : integer(value, `--${flag}`, 0, 315_360_000);
  };
  const redirectFlags = values['redirect-uri'];
  const redirectEnv = env[ENV_NAMES['redirect-uri']];
  const port = text('port');
  return {
    help: false,
    options: {
      host: text('host') ?? CLI_DEFAULTS.host,
      port: port === undefined ? CLI_DEFAULTS.port : integer(port, '--port', 0, 65_535),
      clients: [
        {
          clientId: text('client-id') ?? CLI_DEFAULTS.clientId,
          clientSecret: text('client-secret') ?? CLI_DEFAULTS.clientSecret,
          redirectUris: Array.isArray(redirectFlags)
            ? redirectFlags
            : redirectEnv !== undefined
              ? words(redirectEnv)
              : [...CLI_DEFAULTS.redirectUris],
          scopes: words(text('scopes') ?? CLI_DEFAULTS.scopes.join(' ')),
        },
      ],
      testControls: on('test-controls'),
      rotateRefreshTokens: on('rotate-refresh-tokens'),
      requirePkce: on('require-pkce'),
      tokenErrorShape: tokenErrors(text('token-errors')),
      accessTokenTtlSeconds: ttl('access-token-ttl'),
      refreshTokenTtlSeconds: ttl('refresh-token-ttl'),
      autoConsentUser: text('auto-consent'),
    },
  };
}

/** The authorize URL as the developer portal shows it: what the service takes as AUTH_INIT_URL. */
export function authInitUrl(origin: string, options: EmulatorOptions): string {
  const client = options.clients[0];
  return (
    `${origin}/v1/authorize?client_id=${encodeURIComponent(client.clientId)}&response_type=code` +
    `&redirect_uri=${encodeURIComponent(client.redirectUris[0])}&scope=${encodeURIComponent(client.scopes.join(' '))}`
  );
}

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { builtFile } from '../../test/support/built';
import { CliUsageError, authInitUrl, parseCliArgs } from './cli-options';
import type { EmulatorOptions } from './emulator.types';

function optionsOf(argv: string[], env: Record<string, string> = {}): EmulatorOptions {
  const command = parseCliArgs(argv, env);
  if (command.help) throw new Error('expected options, got help');
  return command.options;
}

describe(parseCliArgs.name, () => {
  it('fills in the documented defaults', () => {
    expect(optionsOf([])).toEqual({
      host: '127.0.0.1',
      port: 8081,
      clients: [
        {
          clientId: 'sandbox-client',
          clientSecret: 'sandbox-secret',
          redirectUris: ['http://localhost:8080/oauth'],
          scopes: ['spark:people_read', 'spark:rooms_read', 'spark:kms'],
        },
      ],
      testControls: false,
      rotateRefreshTokens: false,
      requirePkce: false,
      tokenErrorShape: undefined,
      accessTokenTtlSeconds: undefined,
      refreshTokenTtlSeconds: undefined,
      autoConsentUser: undefined,
    });
  });

  it('reads every flag, with --redirect-uri repeatable', () => {
    const options = optionsOf([
      '--port=9000',
      '--host',
      '0.0.0.0',
      '--client-id',
      'id',
      '--client-secret',
      's',
      '--redirect-uri',
      'http://a.test/cb',
      '--redirect-uri',
      'http://b.test/cb',
      '--scopes',
      'spark:people_read  spark:rooms_read',
      '--test-controls',
      '--rotate-refresh-tokens',
      '--require-pkce',
      '--token-errors',
      'oauth',
      '--access-token-ttl',
      '60',
      '--refresh-token-ttl',
      '120',
      '--auto-consent',
      'carol',
    ]);

    expect(options).toEqual({
      host: '0.0.0.0',
      port: 9000,
      clients: [
        {
          clientId: 'id',
          clientSecret: 's',
          redirectUris: ['http://a.test/cb', 'http://b.test/cb'],
          scopes: ['spark:people_read', 'spark:rooms_read'],
        },
      ],
      testControls: true,
      rotateRefreshTokens: true,
      requirePkce: true,
      tokenErrorShape: 'oauth',
      accessTokenTtlSeconds: 60,
      refreshTokenTtlSeconds: 120,
      autoConsentUser: 'carol',
    });
  });

  it('falls back to the environment, a flag winning', () => {
    const env = {
      WEBEX_EMULATOR_PORT: '7000',
      WEBEX_EMULATOR_CLIENT_ID: 'env-id',
      WEBEX_EMULATOR_REDIRECT_URIS: 'http://a.test/cb http://b.test/cb',
      WEBEX_EMULATOR_TEST_CONTROLS: 'true',
      WEBEX_EMULATOR_ROTATE_REFRESH_TOKENS: '0',
    };
    const options = optionsOf(['--port', '7001'], env);

    expect(options.port).toBe(7001);
    expect(options.clients[0].clientId).toBe('env-id');
    expect(options.clients[0].redirectUris).toEqual(['http://a.test/cb', 'http://b.test/cb']);
    expect(options.testControls).toBe(true);
    expect(options.rotateRefreshTokens).toBe(false);
  });

  it('answers --help', () => {
    expect(parseCliArgs(['--help'])).toEqual({ help: true });
  });

  it.each([
    [['--port', 'abc']],
    [['--port', '70000']],
    [['--port', '-1']],
    [['--access-token-ttl', '1.5']],
    [['--bogus']],
    [['positional']],
    [['--test-controls=yes']],
    [['--port']],
    [['--token-errors', 'xml']],
  ])('refuses %j', (argv) => {
    expect(() => parseCliArgs(argv)).toThrow(CliUsageError);
  });

  it('refuses a non-boolean environment switch', () => {
    expect(() => parseCliArgs([], { WEBEX_EMULATOR_TEST_CONTROLS: 'perhaps' })).toThrow(CliUsageError);
  });

  it('builds AUTH_INIT_URL the way the developer portal does', () => {
    expect(authInitUrl('http://127.0.0.1:8081', optionsOf([]))).toBe(
      'http://127.0.0.1:8081/v1/authorize?client_id=sandbox-client&response_type=code' +
        '&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Foauth&scope=spark%3Apeople_read%20spark%3Arooms_read%20spark%3Akms',
    );
  });
});

describe('cli.ts', () => {
  const run = (args: string[]) =>
    spawn(process.execPath, [builtFile('src/sandbox/cli.ts'), ...args], {
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const exited = (child: ReturnType<typeof run>) =>
    new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  it('prints what a service needs, serves it, and exits 0 on SIGTERM', async () => {
    const child = run(['--port', '0']);
    const done = exited(child);
    let stdout = '';
    const apiBase = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /^WEBEX_API_BASE_URL=(\S+)$/m.exec(stdout);
        if (match) resolve(match[1]);
      });
      void done.then(() => reject(new Error(`exited early: ${stdout}`)));
    });

    expect(stdout).toMatch(/^AUTH_INIT_URL=http:\/\/127\.0\.0\.1:\d+\/v1\/authorize\?client_id=sandbox-client&/m);
    expect((await fetch(`${apiBase}/people/me`)).status).toBe(401);
    child.kill('SIGTERM');
    expect(await done).toBe(0);
  }, 15_000);

  it('exits 1 with a message on a bad flag', async () => {
    const child = run(['--port', 'abc']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    expect(await exited(child)).toBe(1);
    expect(stderr).toContain('--port must be an integer');
  }, 15_000);
});

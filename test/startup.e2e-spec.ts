import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { freePort } from './support/app';
import { builtFile } from './support/built';

const ROOT = join(__dirname, '..');

/** The real entry point in sandbox mode, built as `npm start` builds it; resolves with its exit code and output. */
function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(AUTH_INIT_URL|CLIENT_SECRET|SESSION_|WEBEX_|LOG_|PORT|HOST|SANDBOX_|METRICS_|REDIS_)/.test(name),
    ),
  );
  const child = spawn(process.execPath, [builtFile('src/main.ts')], {
    cwd: ROOT,
    env: { ...base, NODE_ENV: 'test', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('start-up with a port already in use', () => {
  jest.setTimeout(60_000);

  it.each([
    ['PORT', 'set PORT.'],
    ['SANDBOX_PORT', 'set SANDBOX_PORT'],
    ['METRICS_PORT', 'set METRICS_PORT'],
  ])('names %s when its port is the busy one, and exits 1', async (busy, advice) => {
    const ports = { PORT: await freePort(), SANDBOX_PORT: await freePort(), METRICS_PORT: await freePort() };
    const server = await occupy(ports[busy as keyof typeof ports]);
    try {
      const { code, output } = await start(
        Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
      );
      expect(code).toBe(1);
      expect(output).toContain(`Port ${ports[busy as keyof typeof ports]} is already in use`);
      expect(output).toContain(advice);
      for (const other of Object.keys(ports).filter((name) => name !== busy)) {
        expect(output).not.toContain(`set ${other}`);
      }
      expect(output).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('start-up with the sign-in callback on a page of the service', () => {
  jest.setTimeout(60_000);

  it('says that the redirect_uri path is taken and what to use instead, and exits 1', async () => {
    const port = await freePort();
    const authInitUrl = `https://webexapis.com/v1/authorize?client_id=c1&response_type=code&redirect_uri=${encodeURIComponent(`http://localhost:${port}/listrooms`)}&scope=spark%3Apeople_read`;
    const { code, output } = await start({
      PORT: String(port),
      AUTH_INIT_URL: authInitUrl,
      CLIENT_SECRET: 's3cret-value',
    });
    expect(code).toBe(1);
    expect(output).toContain('Duplicate route: GET /listrooms');
    expect(output).toContain('The sign-in callback is at /listrooms, the path of AUTH_INIT_URL’s redirect_uri');
    expect(output).toContain('use a path of its own, such as /oauth');
    expect(output).not.toContain('s3cret-value');
    expect(output).not.toMatch(/\n\s+at /);
  });
});

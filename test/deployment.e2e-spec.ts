import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import satisfies from 'semver/functions/satisfies';
import { freePort } from './support/app';

const ROOT = join(__dirname, '..');

/** The words of `npm run start:prod` after `node`. */
function startProdArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [node, ...args] = pkg.scripts['start:prod'].trim().split(/\s+/);
  expect(node).toBe('node');
  return args;
}

/** The exec-form CMD of the Dockerfile's final stage, after `node`. */
function dockerCmdArgs(): string[] {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const cmd = [...dockerfile.matchAll(/^CMD\s+(\[.*\])\s*$/gm)].pop();
  expect(cmd).toBeDefined();
  const [node, ...args] = JSON.parse((cmd as RegExpMatchArray)[1]) as string[];
  expect(node).toBe('node');
  return args;
}

// The benchmarks (bench/run.ts) start the service with start:prod's flags: the image must run it the same way.
describe('How production starts the service', () => {
  it('runs the Dockerfile with the same Node flags and entry point as npm run start:prod', () => {
    const withExtension = (args: string[]) => args.map((arg) => arg.replace(/^dist\/main$/, 'dist/main.js'));

    expect(withExtension(dockerCmdArgs())).toEqual(withExtension(startProdArgs()));
  });

  it('caps the V8 heap explicitly, so memory stays near the live data instead of growing to a quarter of the machine', () => {
    const cap = startProdArgs().find((arg) => arg.startsWith('--max-old-space-size='));

    expect(cap).toBeDefined();
    expect(Number(cap?.split('=')[1])).toBeGreaterThanOrEqual(256);
  });
});

/**
 * `nest build` makes one bundle of the service and its dependencies (rspack.config.js), which no
 * other suite runs: they load the TypeScript. Built here in a copy of the project, then started as
 * production starts it, so a dependency that does not survive bundling fails a test, not a deploy.
 */
describe('The production build (nest build)', () => {
  jest.setTimeout(180_000);
  let copy: string;
  let service: ChildProcess | undefined;
  let origin: string;
  let output = '';

  beforeAll(async () => {
    copy = mkdtempSync(join(tmpdir(), 'wxo-build-'));
    for (const entry of ['src', 'views', 'public', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
    }
    for (const entry of ['nest-cli.json', 'rspack.config.js']) cpSync(join(ROOT, entry), join(copy, entry));
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    // Type-checking is npm run typecheck's job (CI runs it): the bundle is what is under test.
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], {
      cwd: copy,
      encoding: 'utf8',
      timeout: 150_000,
    });
    expect(build.status).toBe(0);

    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const redirect = encodeURIComponent(`${origin}/oauth`);
    service = spawn(process.execPath, [...startProdArgs().slice(0, -1), 'dist/main.js'], {
      cwd: copy,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        AUTH_INIT_URL: `https://webexapis.com/v1/authorize?client_id=c1&response_type=code&redirect_uri=${redirect}&scope=spark%3Apeople_read%20spark%3Arooms_read`,
        CLIENT_SECRET: 's3cret-value',
        SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
        SESSION_STORE: 'memory',
        LOG_LEVEL: 'warn',
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let tries = 0; ; tries++) {
      const live = await fetch(`${origin}/health/live`).then(
        (res) => res.ok,
        () => false,
      );
      if (live) break;
      if (tries > 300 || service.exitCode !== null) throw new Error(`dist/main.js did not start:\n${output}`);
      await sleep(100);
    }
  });

  afterAll(async () => {
    if (service && service.exitCode === null) {
      const exited = new Promise((resolve) => service?.once('exit', resolve));
      service.kill('SIGKILL');
      await exited;
    }
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('serves the home page, rendered from views/ with its static files', async () => {
    const home = await fetch(`${origin}/`);
    const css = await fetch(`${origin}/static/water.css`);

    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Start OAuth flow');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('serves the API reference: the OpenAPI document and Swagger UI from its npm package', async () => {
    const document = await fetch(`${origin}/api/openapi.json`);
    const ui = await fetch(`${origin}/api/docs/swagger-ui-bundle.js`);

    expect(document.status).toBe(200);
    expect(((await document.json()) as { openapi?: string }).openapi).toMatch(/^3\./);
    expect(ui.status).toBe(200);
    expect((await ui.text()).length).toBeGreaterThan(100_000);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => service?.once('exit', resolve));
    service?.kill('SIGTERM');

    expect(await exited).toBe(0);
  });

  it('builds the standalone emulator as its own program', () => {
    const help = spawnSync(process.execPath, ['dist/sandbox/cli.js', '--help'], { cwd: copy, encoding: 'utf8' });

    expect(help.status).toBe(0);
    expect(help.stdout).toContain('node dist/sandbox/cli.js [options]');
  });
});

describe('Which Node.js the project runs on', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    engines: { node: string };
    scripts: Record<string, string>;
  };

  /** Runs the check that `npm start` and `npm test` run first, as if this Node were `version`. */
  function checkAs(version: string) {
    const fake = `Object.defineProperty(process, 'version', { value: ${JSON.stringify(version)} });`;
    return spawnSync(process.execPath, ['-e', `${fake} require('./scripts/check-node.cjs')`], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 10_000,
    });
  }

  it('stops npm start and npm test on Node 20 with one line naming the Node needed and the one found', () => {
    const run = checkAs('v20.20.2');

    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(pkg.engines.node);
    expect(lines[0]).toContain('v20.20.2');
  });

  it.each(['v22.22.3', 'v24.15.0', process.version])('lets %s through without a word', (version) => {
    const run = checkAs(version);

    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).toBe('');
  });

  it('refuses Node 20, which reached its end of life, and releases older than the tools declare', () => {
    for (const version of ['v18.20.8', 'v20.19.0', 'v20.20.2', 'v21.7.3', 'v22.19.0', 'v23.11.1']) {
      expect(satisfies(version, pkg.engines.node)).toBe(false);
    }
  });

  it('checks the Node before every script that starts the service or runs tests with it', () => {
    for (const script of ['start', 'start:dev', 'test', 'test:unit', 'test:e2e', 'test:browser']) {
      expect(pkg.scripts[`pre${script}`]).toMatch(/^node scripts\/check-node\.cjs( |$)/);
    }
  });

  it('names a supported line in .nvmrc and in both stages of the Dockerfile', () => {
    const nvmrc = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
    const images = [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^FROM node:(\d+)-/gm)].map((m) => m[1]);

    expect(images).toHaveLength(2);
    for (const major of [nvmrc, ...images]) {
      // The newest release of that line is what nvm and the image tag give.
      expect(satisfies(`v${major}.99.0`, pkg.engines.node)).toBe(true);
    }
    expect(Number(nvmrc)).toBeGreaterThanOrEqual(24);
  });
});

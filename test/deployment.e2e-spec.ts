import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import satisfies from 'semver/functions/satisfies';

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

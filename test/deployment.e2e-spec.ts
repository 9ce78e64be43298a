import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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

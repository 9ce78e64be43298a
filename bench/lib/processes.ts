import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from './http';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** The first 64 KB it wrote, for readiness lines and errors; the first MB goes to its log file. */
  output: string;
  readonly exited: Promise<number | null>;
}

/** taskset, if the machine has it: pinning is best-effort and the report says whether it happened. */
const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((path) => existsSync(path));

/** Pins the calling process (the load generator) to a CPU list; children inherit it unless pinned themselves. */
export function pinSelf(cpus: string): boolean {
  if (TASKSET) execFileSync(TASKSET, ['-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
  return TASKSET !== undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().unref().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Every child the bench starts, so that each one is stopped on success, on error and on Ctrl-C.
 * Children get a minimal environment: nothing from the developer's shell (NODE_OPTIONS,
 * SESSION_STORE, ...) changes what is measured.
 */
export class Children {
  private readonly live = new Set<Child>();

  constructor(private readonly logDir: string) {
    mkdirSync(logDir, { recursive: true });
    process.once('exit', () => this.live.forEach((child) => child.process.kill('SIGKILL')));
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\nbench: ${signal}, stopping ${this.live.size} child process(es)\n`);
        void this.stopAll().finally(() => process.exit(130));
      });
    }
  }

  /** `node args…` in `cwd`, pinned to `cpus` with taskset when there is one. */
  spawn(name: string, args: string[], options: { cwd: string; cpus: string; env?: Record<string, string> }): Child {
    const argv = TASKSET ? [TASKSET, '-c', options.cpus, process.execPath, ...args] : [process.execPath, ...args];
    const proc = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (proc.pid === undefined) throw new Error(`could not start ${name}`);
    const log = createWriteStream(join(this.logDir, `${name}.log`));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    const child: Child = { name, process: proc, pid: proc.pid, output: '', exited };
    let logged = 0;
    const onData = (chunk: Buffer): void => {
      if (child.output.length < 64 * 1024) child.output += chunk.toString('utf8');
      // The start and the first request lines: a log of every request would fill the disk.
      if ((logged += chunk.length) < 2 ** 20) log.write(chunk);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    this.live.add(child);
    void exited.then(() => {
      this.live.delete(child);
      log.end();
    });
    return child;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(child: Child, graceMs = 3000): Promise<void> {
    if (!this.live.has(child)) return;
    child.process.kill('SIGTERM');
    if (!(await Promise.race([child.exited.then(() => true), sleep(graceMs).then(() => false)]))) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((child) => this.stop(child)));
  }
}

/** Polls until `ready()` gives a value; fails when the child exits first or after `timeoutMs`. */
export async function waitFor<T>(child: Child, what: string, ready: () => Promise<T | undefined>, timeoutMs = 20_000) {
  const deadline = performance.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (;;) {
    const value = await ready();
    if (value !== undefined) return value;
    if (exited) throw new Error(`${child.name} exited before ${what}:\n${child.output.slice(-2000)}`);
    if (performance.now() > deadline) throw new Error(`${child.name}: no ${what} within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** The match of `pattern` in what the child wrote first (a readiness line). */
export function waitForOutput(child: Child, pattern: RegExp): Promise<RegExpMatchArray> {
  return waitFor(child, `"${pattern.source}"`, () => Promise.resolve(child.output.match(pattern) ?? undefined));
}

/** Milliseconds from `since` until `url` answers 200. */
export function waitForStatus(url: string, child: Child, since = performance.now()): Promise<number> {
  const answered = () =>
    request(url, { timeoutMs: 2000 }).then(
      (res) => (res.status === 200 ? performance.now() - since : undefined),
      () => undefined,
    );
  return waitFor(child, `200 on ${url}`, answered);
}

/** Waits for a file the child writes (bench/service-hook.cjs's profiles and memory readings). */
export function waitForFile(path: string, child: Child): Promise<string> {
  return waitFor(child, path, () => Promise.resolve(existsSync(path) ? readFileSync(path, 'utf8') : undefined));
}

/** Resident set size from /proc, in bytes. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

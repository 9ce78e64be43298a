import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from './http';

const TAIL_CHARS = 256 * 1024;

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** The first 64 KB the child wrote, for readiness lines; all of it goes to its log file. */
  output: string;
  /**
   * The last 256 KB or more it wrote, as the chunks it came in: a line it writes under load (one
   * request line each) is found here. Chunks, not one string: a string cut to 256 KB at every
   * chunk copied it each time, which at a chunk per request line kept the bench's core busy.
   */
  tail: string[];
  /** Characters in `tail`. */
  tailLength: number;
  /** Characters written so far: an offset into the output, for waitForOutput's `after`. */
  written: number;
  readonly exited: Promise<number | null>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** CPU list for taskset (e.g. "0"); ignored without taskset. */
  cpus?: string;
  cwd?: string;
}

let tasksetPath: string | null | undefined;

/** taskset's path, or null: pinning is best-effort and the report says whether it happened. */
export function taskset(): string | null {
  if (tasksetPath === undefined) {
    try {
      tasksetPath = execFileSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).trim() || null;
    } catch {
      tasksetPath = null;
    }
  }
  return tasksetPath;
}

/** Pins the calling process (the load generator) to a CPU list; children inherit it unless pinned themselves. */
export function pinSelf(cpus: string): boolean {
  const path = taskset();
  if (!path) return false;
  execFileSync(path, ['-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
  return true;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
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
    process.once('exit', () => this.killAllNow());
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\nbench: ${signal}, stopping ${this.live.size} child process(es)\n`);
        void this.stopAll().finally(() => process.exit(130));
      });
    }
  }

  spawn(name: string, command: string, args: string[], options: SpawnOptions = {}): Child {
    const pin = options.cpus !== undefined ? taskset() : null;
    const [file, argv] = pin ? [pin, ['-c', options.cpus as string, command, ...args]] : [command, args];
    const proc = spawn(file, argv, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (proc.pid === undefined) throw new Error(`could not start ${name}`);
    const log = createWriteStream(join(this.logDir, `${name}.log`), { flags: 'a' });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const child: Child = {
      name,
      process: proc,
      pid: proc.pid,
      output: '',
      tail: [],
      tailLength: 0,
      written: 0,
      exited,
    };
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      if (child.output.length < 64 * 1024) child.output += text;
      child.written += text.length;
      child.tail.push(text);
      child.tailLength += text.length;
      while (child.tailLength - child.tail[0].length >= TAIL_CHARS)
        child.tailLength -= (child.tail.shift() as string).length;
      log.write(chunk);
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
    const done = await Promise.race([child.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((child) => this.stop(child)));
  }

  private killAllNow(): void {
    for (const child of this.live) child.process.kill('SIGKILL');
  }
}

/**
 * Resolves when `pattern` appears in the child's output (with `after`, a `child.written` offset:
 * in what it wrote since then); rejects if the child exits first.
 */
export async function waitForOutput(
  child: Child,
  pattern: RegExp,
  timeoutMs = 15_000,
  after?: number,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (;;) {
    const tailStart = child.written - child.tailLength;
    const text = after === undefined ? child.output : child.tail.join('').slice(Math.max(0, after - tailStart));
    const match = text.match(pattern);
    if (match) return match;
    if (exited) throw new Error(`${child.name} exited before it was ready:\n${child.output.slice(-2000)}`);
    if (Date.now() > deadline)
      throw new Error(`${child.name} not ready after ${timeoutMs} ms:\n${child.output.slice(-2000)}`);
    await sleep(20);
  }
}

/** Polls `url` until it answers `status`; returns the milliseconds since `since`. */
export async function waitForStatus(
  url: string,
  child: Child,
  { status = 200, since = performance.now(), timeoutMs = 20_000, intervalMs = 10 } = {},
): Promise<number> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (;;) {
    try {
      const res = await request(url, { timeoutMs: 2000 });
      if (res.status === status) return performance.now() - since;
    } catch {
      // not listening yet
    }
    if (exited) throw new Error(`${child.name} exited before it answered:\n${child.output.slice(-2000)}`);
    if (performance.now() - since > timeoutMs)
      throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Resident set size from /proc, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { freePort } from './app';

/**
 * redis-server processes of a suite's own (primaries, replicas, sentinels, cluster nodes), each on
 * a free port in a temporary folder. `stopAll` kills every one of them; a process exit kills them too.
 */
export class RedisProcesses {
  private readonly children = new Map<number, ChildProcess>();
  readonly dir = mkdtempSync(join(tmpdir(), 'wxo-redis-'));
  private readonly killOnExit = () => {
    for (const child of this.children.values()) child.kill('SIGKILL');
  };

  constructor() {
    process.once('exit', this.killOnExit);
  }

  /**
   * Starts redis-server with `config` lines (plus port, bind, no persistence) and waits until it
   * answers (to `password`, for a server started with requirepass).
   */
  async start(config: string[] = [], sentinel = false, password?: string): Promise<number> {
    const port = await freePort();
    const file = join(this.dir, `${port}.conf`);
    const lines = [`port ${port}`, 'bind 127.0.0.1', `dir ${this.dir}`, "save ''", 'appendonly no', ...config];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const child = spawn('redis-server', sentinel ? [file, '--sentinel'] : [file], { stdio: 'ignore' });
    this.children.set(port, child);
    const client = new Redis(port, '127.0.0.1', {
      password,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await client.connect();
        await client.ping();
        break;
      } catch {
        if (Date.now() > deadline) {
          client.disconnect();
          throw new Error(`redis-server on port ${port} did not start`);
        }
        await sleep(50);
      }
    }
    client.disconnect();
    return port;
  }

  /** Stops one server as a crash would (SIGKILL) and waits for it to exit. */
  async kill(port: number): Promise<void> {
    const child = this.children.get(port);
    this.children.delete(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children.keys()].map((port) => this.kill(port)));
    process.off('exit', this.killOnExit);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A client for the suite's own checks on one server. */
export function clientOn(port: number): Redis {
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, connectTimeout: 2000 });
  client.on('error', () => undefined);
  return client;
}

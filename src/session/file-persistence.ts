import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LRUCache } from 'lru-cache';

/**
 * Development only: keeps an in-memory cache in a JSON file so that `nest start --watch`
 * restarts do not sign the developer out. Writes are batched and atomic (temp file + rename).
 */
export class FilePersistence<V extends object | string> {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly cache: LRUCache<string, V>,
    private readonly file: string,
  ) {}

  /** Loads what an earlier run saved; a missing or broken file just means starting empty. */
  load(): void {
    try {
      this.cache.load(JSON.parse(readFileSync(this.file, 'utf8')) as [string, LRUCache.Entry<V>][]);
    } catch {
      // Nothing saved yet, or a file from an older format: start empty.
    }
  }

  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), 100);
    this.timer.unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(this.cache.dump()), { mode: 0o600 });
    renameSync(temp, this.file);
  }
}

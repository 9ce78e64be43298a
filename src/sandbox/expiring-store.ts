export interface Expiring {
  expiresAt: number;
}

/**
 * A Map whose dead entries are dropped lazily, with a hard cap so a benchmark that mints
 * thousands of tokens a second cannot grow the heap without bound. At the cap the oldest
 * entries go first, like an identity provider that limits live tokens.
 */
export class ExpiringStore<V extends Expiring> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly maxEntries: number,
    private readonly isDead: (value: V, now: number) => boolean = (value, now) => value.expiresAt <= now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) this.shrink();
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  values(): IterableIterator<V> {
    return this.entries.values();
  }

  /** Every entry, for saving the emulator's state to a file. */
  dump(): [string, V][] {
    return [...this.entries];
  }

  load(entries: [string, V][]): void {
    for (const [key, value] of entries) this.entries.set(key, value);
    this.sweep();
  }

  /** Drops dead entries; returns how many. */
  sweep(now = Date.now()): number {
    let dropped = 0;
    for (const [key, value] of this.entries) {
      if (this.isDead(value, now)) {
        this.entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  private shrink(): void {
    this.sweep();
    // Evict down to 90 % so the O(n) sweep runs once per many inserts, not on every one.
    let excess = this.entries.size - Math.floor(this.maxEntries * 0.9);
    for (const key of this.entries.keys()) {
      if (excess-- <= 0) break;
      this.entries.delete(key);
    }
  }
}

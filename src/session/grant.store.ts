import type { WebexTokens } from '../webex';
import { TokenCipher } from './token-cipher';

/** The Webex tokens of one signed-in session. */
/** Tokens plus a version that goes up by one with every refresh. */
export interface Grant extends WebexTokens {
  version: number;
}

/** The grant is gone (signed out elsewhere, expired, evicted, or sealed with a retired key). */
export class GrantGoneError extends Error {
  constructor() {
    super('Webex grant not found');
    this.name = 'GrantGoneError';
  }
}

/** Another request is refreshing this grant and did not finish in time. */
export class GrantBusyError extends Error {
  constructor() {
    super('Webex grant refresh still in progress');
    this.name = 'GrantBusyError';
  }
}

interface StoredGrant {
  v: number;
  a: number;
  r?: number;
  /** accessToken and refreshToken, sealed. */
  s: string;
}

export interface GrantStoreOptions {
  cipher: TokenCipher;
  ttlMs: number;
  /** How long a refresh may hold the lock, and how long others wait for it. */
  refreshWaitMs: number;
}

/**
 * Webex tokens live here, apart from the session document, sealed with AES-256-GCM and keyed by
 * a grant id that the session holds. Only sign-in, refresh and sign-out write them, so a slow
 * request that saves its (older) session can never put back a refresh token Webex has retired.
 * Refresh is single-flight per grant: one caller refreshes, the others wait for its result.
 */
export abstract class GrantStore {
  constructor(protected readonly options: GrantStoreOptions) {}

  protected abstract read(key: string): Promise<string | undefined>;
  protected abstract write(key: string, value: string, ttlMs: number): Promise<void>;
  protected abstract remove(key: string): Promise<void>;
  /** Takes the refresh lock of a grant; returns its release, or undefined when someone else holds it. */
  protected abstract tryLock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
  /** Waits a little for the lock holder (at most `ms`). */
  protected abstract waitForLock(key: string, ms: number): Promise<void>;

  async get(grantId: string): Promise<Grant | undefined> {
    const raw = await this.read(grantId);
    if (raw === undefined) return undefined;
    let stored: StoredGrant;
    try {
      stored = JSON.parse(raw) as StoredGrant;
    } catch {
      return undefined;
    }
    const opened = this.options.cipher.open(stored.s, grantId);
    if (opened === undefined) return undefined;
    const { accessToken, refreshToken } = JSON.parse(opened) as { accessToken: string; refreshToken: string };
    return {
      accessToken,
      refreshToken,
      accessTokenExpiresAt: stored.a,
      refreshTokenExpiresAt: stored.r,
      version: stored.v,
    };
  }

  async save(grantId: string, grant: Grant): Promise<void> {
    const sealed = this.options.cipher.seal(
      JSON.stringify({ accessToken: grant.accessToken, refreshToken: grant.refreshToken }),
      grantId,
    );
    const stored: StoredGrant = {
      v: grant.version,
      a: grant.accessTokenExpiresAt,
      r: grant.refreshTokenExpiresAt,
      s: sealed,
    };
    await this.write(grantId, JSON.stringify(stored), this.options.ttlMs);
  }

  delete(grantId: string): Promise<void> {
    return this.remove(grantId);
  }

  /**
   * Refreshes the grant once however many requests, here or on other instances, ask with the
   * same version; every caller gets the newest grant. `refresh` runs under the lock.
   */
  async refreshOnce(grantId: string, seen: Grant, refresh: (grant: Grant) => Promise<WebexTokens>): Promise<Grant> {
    const deadline = Date.now() + this.options.refreshWaitMs;
    for (;;) {
      const current = await this.get(grantId);
      if (!current) throw new GrantGoneError();
      if (current.version !== seen.version) return current;
      const release = await this.tryLock(grantId, this.options.refreshWaitMs);
      if (release) {
        try {
          // Re-read under the lock: the previous holder may have finished just before we took it.
          const latest = await this.get(grantId);
          if (!latest) throw new GrantGoneError();
          if (latest.version !== seen.version) return latest;
          const next: Grant = { ...(await refresh(latest)), version: latest.version + 1 };
          await this.save(grantId, next);
          return next;
        } finally {
          await release();
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new GrantBusyError();
      await this.waitForLock(grantId, Math.min(left, 100));
    }
  }
}

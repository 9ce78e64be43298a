import { Store, type SessionData } from 'express-session';
import { StoreUnavailableError } from './store-unavailable.error';

type Callback<T = void> = (err?: unknown, value?: T) => void;

/**
 * Wraps the express-session store so that its failures reach the error filter as one known
 * error (a 503 page), never as a client error with commands and keys in it.
 */
export class GuardedStore extends Store {
  constructor(private readonly inner: Store) {
    super();
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    this.inner.get(sid, (err, session) => (err ? callback(new StoreUnavailableError()) : callback(null, session)));
  }

  override set(sid: string, session: SessionData, callback?: Callback): void {
    this.inner.set(sid, session, (err) => callback?.(err ? new StoreUnavailableError() : undefined));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.inner.destroy(sid, (err) => callback?.(err ? new StoreUnavailableError() : undefined));
  }

  override touch(sid: string, session: SessionData, callback?: () => void): void {
    // A failed touch only costs idle time; the request itself has been answered already.
    if (this.inner.touch) this.inner.touch(sid, session, () => callback?.());
    else callback?.();
  }
}

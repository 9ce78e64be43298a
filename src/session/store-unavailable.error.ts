import { sessionStoreErrors } from '../metrics';

/** The session store (Redis) did not answer: the request cannot know who is signed in. */
export class StoreUnavailableError extends Error {
  constructor() {
    super('Session store unavailable');
    this.name = 'StoreUnavailableError';
    // Every store failure becomes this error exactly once, so this is where they are counted.
    sessionStoreErrors.inc();
  }
}

/** Runs a store call and turns any failure of the store itself into StoreUnavailableError. */
export async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch {
    // The client's error can carry the command and its arguments (keys, values): not for logs.
    throw new StoreUnavailableError();
  }
}

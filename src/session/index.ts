export { SessionModule, SESSION_STORE, REDIS_CLIENT } from './session.module';
export type { RedisClient } from './redis.client';
export { SessionService } from './session.service';
export { LoginStateStore, MemoryLoginStateStore, type PendingSignIn } from './login-state.store';
export { GrantStore, GrantGoneError, GrantBusyError, type Grant } from './grant.store';
export { BoundedMemoryStore } from './bounded-memory.store';
export { SessionStoreHealth } from './session-store.health';
export { StoreUnavailableError } from './store-unavailable.error';
export type { SessionUser } from './session.types';

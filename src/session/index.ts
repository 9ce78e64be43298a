export { SessionModule, SESSION_STORE } from './session.module';
export { SessionService, SESSION_COOKIE_NAME } from './session.service';
export { LoginStateStore, MemoryLoginStateStore, type PendingSignIn } from './login-state.store';
export { BoundedMemoryStore } from './bounded-memory.store';
export type { SessionTokens, SessionUser } from './session.types';

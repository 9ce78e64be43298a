import type { IncomingMessage } from 'node:http';

/**
 * Whether a request may belong to a session: it carries a cookie of that name. A request without
 * one has no session to load, so it skips express-session (SessionModule) and, for the home page,
 * the whole pipeline (signed-out-home.ts). A false positive (`xwxo.sid=`) only costs the slow path.
 */
export function carriesSessionCookie(req: IncomingMessage, cookieName: string): boolean {
  return req.headers.cookie?.includes(`${cookieName}=`) ?? false;
}

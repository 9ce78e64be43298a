import 'express-session';
import type { Grant } from './grant.store';

export interface SessionUser {
  /** Webex's person id, or with Login with Webex the id_token's `sub`. */
  id: string;
  displayName: string;
  /** Login with Webex: the id_token's subject, and the email when the integration has the `email` scope. */
  sub?: string;
  email?: string;
}

declare module 'express-session' {
  interface SessionData {
    /** Random id of this browser; pending sign-ins carry it so a state only works in the browser that asked. */
    browserId?: string;
    /** When the person signed in (epoch ms): the absolute timeout counts from here. */
    signedInAt?: number;
    user?: SessionUser;
    /** Key of this session's Webex tokens in the GrantStore; the tokens never sit in the session. */
    grantId?: string;
    /** A one-time message for the home page, e.g. why the person was signed out. */
    notice?: string;
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The session's Webex tokens, loaded (and refreshed if needed) by the AuthGuard. */
    webexGrant?: Grant;
  }
}

import 'express-session';

export interface SessionUser {
  id: string;
  displayName: string;
}

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: number;
  refreshTokenExpiresAt?: number;
}

declare module 'express-session' {
  interface SessionData {
    /** Random id of this browser; pending sign-ins carry it so a state only works in the browser that asked. */
    browserId?: string;
    /** When the person signed in (epoch ms): the absolute timeout counts from here. */
    signedInAt?: number;
    user?: SessionUser;
    tokens?: SessionTokens;
    /** A one-time message for the home page, e.g. why the person was signed out. */
    notice?: string;
  }
}

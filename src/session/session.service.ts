import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request, Response } from 'express';
import type { Session, SessionData } from 'express-session';
import { sessionConfig } from '../config';

/** Promise versions of express-session's callbacks, and the cookie's own rules in one place. */
@Injectable()
export class SessionService {
  constructor(@Inject(sessionConfig.KEY) private readonly config: ConfigType<typeof sessionConfig>) {}

  get cookieName(): string {
    return this.config.cookieName;
  }

  /** A new session id keeping nothing of the old session but what `carry` returns (no fixation). */
  regenerate(req: Request, carry: Partial<SessionData> = {}): Promise<Session & Partial<SessionData>> {
    return new Promise((resolve, reject) => {
      req.session.regenerate((error: unknown) => {
        if (error) return reject(error instanceof Error ? error : new Error('session regenerate failed'));
        Object.assign(req.session, carry);
        resolve(req.session);
      });
    });
  }

  destroy(req: Request, res: Response): Promise<void> {
    return new Promise((resolve, reject) => {
      req.session.destroy((error: unknown) => {
        this.clearCookie(res);
        if (error) return reject(error instanceof Error ? error : new Error('session destroy failed'));
        resolve();
      });
    });
  }

  /** The same attributes the cookie was set with, or browsers keep it. */
  private clearCookie(res: Response): void {
    res.clearCookie(this.config.cookieName, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.secureCookie,
    });
  }

  /** Signed in: a person and a grant of Webex tokens for them (a session may hold only a pending sign-in). */
  isSignedIn(session: Partial<SessionData>): boolean {
    return Boolean(session.user && session.grantId);
  }

  isExpired(session: Partial<SessionData>, now = Date.now()): boolean {
    return session.signedInAt !== undefined && now - session.signedInAt > this.config.absoluteTimeoutSeconds * 1000;
  }
}

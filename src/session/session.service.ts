import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request, RequestHandler, Response } from 'express';
import type { Session, SessionData } from 'express-session';
import { sessionConfig } from '../config';
import { StoreUnavailableError } from './store-unavailable.error';

/** express-session's middleware as SessionModule configures it (sessionOptions). */
export const EXPRESS_SESSION = Symbol('EXPRESS_SESSION');

type RequestSession = Session & Partial<SessionData>;

/**
 * Forgets the person but keeps the session, with `notice` for the home page to say why: the
 * absolute timeout and a dead Webex grant end a sign-in this way.
 */
export function forgetSignIn(session: Partial<SessionData> | undefined, notice: string): void {
  if (!session) return;
  delete session.user;
  delete session.grantId;
  delete session.signedInAt;
  session.notice = notice;
}

/**
 * Promise versions of express-session's callbacks, and the cookie's own rules in one place.
 *
 * A request has a session (`req.session`) when its browser sent the session cookie; a visitor
 * without one has none, so `req.session` may be undefined: read it with `?.`. A handler that
 * must remember something for a visitor who has no session yet starts one with `start()`.
 */
@Injectable()
export class SessionService {
  constructor(
    @Inject(sessionConfig.KEY) private readonly config: ConfigType<typeof sessionConfig>,
    @Inject(EXPRESS_SESSION) private readonly expressSession: RequestHandler,
  ) {}

  get cookieName(): string {
    return this.config.cookieName;
  }

  /**
   * This request's session, started if it has none. Nothing is stored and no cookie is sent
   * unless the handler then writes to it (saveUninitialized is off).
   */
  start(req: Request, res: Response): Promise<RequestSession> {
    if (req.session) return Promise.resolve(req.session);
    return new Promise((resolve, reject) => {
      this.expressSession(req, res, (error?: unknown) => {
        if (error) return reject(error instanceof Error ? error : new Error('session start failed'));
        // express-session passes a request through without a session while its store is disconnected.
        if (!req.session) return reject(new StoreUnavailableError());
        resolve(req.session);
      });
    });
  }

  /**
   * A new session id keeping nothing of the old session but what `carry` returns (no fixation).
   * For a request that has a session (sign-in's callback: its browser id is in it).
   */
  regenerate(req: Request, carry: Partial<SessionData> = {}): Promise<RequestSession> {
    const session = req.session;
    if (!session) return Promise.reject(new Error('no session to regenerate'));
    return new Promise((resolve, reject) => {
      session.regenerate((error: unknown) => {
        if (error) return reject(error instanceof Error ? error : new Error('session regenerate failed'));
        Object.assign(req.session, carry);
        resolve(req.session);
      });
    });
  }

  /** Ends the session, if there is one, and tells the browser to forget its cookie. */
  destroy(req: Request, res: Response): Promise<void> {
    const session = req.session;
    if (!session) {
      this.clearCookie(res);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      session.destroy((error: unknown) => {
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
  isSignedIn(session: Partial<SessionData> | undefined): boolean {
    return Boolean(session?.user && session.grantId);
  }

  isExpired(session: Partial<SessionData> | undefined, now = Date.now()): boolean {
    return session?.signedInAt !== undefined && now - session.signedInAt > this.config.absoluteTimeoutSeconds * 1000;
  }
}

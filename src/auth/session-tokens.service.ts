import { Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { forgetSignIn, GrantGoneError, GrantStore, type Grant } from '../session';
import { tokenRefreshes } from '../metrics';
import { WebexApiService, WebexGrantRefusedError, WebexUnauthorizedError } from '../webex';
import { NotSignedInError, SessionEndedError } from './auth.errors';
import { SignInService } from './sign-in.service';
import { WebexClient } from './webex-client';

/** Refresh this long before expiry, so a token never dies in the middle of a page. */
export const REFRESH_MARGIN_MS = 60_000;

export const SIGNED_OUT_NOTICE = 'Your Webex sign-in has expired. Please sign in again.';

/**
 * The bridge between a request's session and its Webex grant: loads the tokens, refreshes them
 * once across every concurrent request, and ends the sign-in cleanly when Webex says no.
 */
@Injectable()
export class SessionTokensService {
  private readonly logger = new Logger('OAuth');

  constructor(
    private readonly signIn: SignInService,
    private readonly grants: GrantStore,
    private readonly webex: WebexApiService,
  ) {}

  /** The request's WebexClient: the Webex API with this session's tokens (see withAccessToken). */
  clientFor(req: Request): WebexClient {
    return new WebexClient(this.webex, this, req);
  }

  async endGrant(grantId: string | undefined): Promise<void> {
    if (grantId) await this.grants.delete(grantId);
  }

  /** Puts the session's grant on `req.webexGrant`, refreshed if it expires within the margin. */
  async load(req: Request): Promise<Grant> {
    const { user, grantId } = req.session ?? {};
    if (!user || !grantId) throw new NotSignedInError();
    const grant = await this.grants.get(grantId);
    if (!grant) this.signOutAndThrow(req);
    req.webexGrant = grant;
    if (grant.accessTokenExpiresAt - Date.now() < REFRESH_MARGIN_MS) return this.refresh(req);
    return grant;
  }

  /**
   * Runs a Webex call with the session's access token (put on the request by the AuthGuard). A 401
   * means the token died early (revoked, or the clock lied): refresh once and call again; a second
   * 401 signs the person out. Awaited by the handler rather than done in an interceptor, whose
   * Observable machinery cost a fifth of a /listrooms request (bench/RESULTS.md).
   */
  async withAccessToken<T>(req: Request, call: (accessToken: string) => Promise<T>): Promise<T> {
    const token = req.webexGrant?.accessToken;
    if (!token) throw new NotSignedInError();
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof WebexUnauthorizedError)) throw error;
    }
    const refreshed = await this.refresh(req);
    try {
      return await call(refreshed.accessToken);
    } catch (error) {
      if (error instanceof WebexUnauthorizedError) this.signOutAndThrow(req);
      throw error;
    }
  }

  /** Refreshes the grant this request has seen (once, whoever else asks at the same time). */
  async refresh(req: Request): Promise<Grant> {
    const grantId = req.session?.grantId;
    const seen = req.webexGrant;
    if (!grantId || !seen) throw new NotSignedInError();
    if (seen.refreshTokenExpiresAt !== undefined && seen.refreshTokenExpiresAt <= Date.now()) {
      await this.grants.delete(grantId);
      this.signOutAndThrow(req);
    }
    try {
      req.webexGrant = await this.grants.refreshOnce(grantId, seen, (grant) => this.signIn.refresh(grant));
      tokenRefreshes.inc({ outcome: 'refreshed' });
      return req.webexGrant;
    } catch (error) {
      tokenRefreshes.inc({ outcome: error instanceof WebexGrantRefusedError ? 'refused' : 'failed' });
      if (error instanceof GrantGoneError) this.signOutAndThrow(req);
      if (error instanceof WebexGrantRefusedError) {
        this.logger.log(
          `refresh token refused by Webex (${error.status}, trackingId=${error.trackingId ?? '-'}); signing the session out`,
        );
        // Gone for every request and instance at once: waiters see GrantGoneError, not a second refusal.
        await this.grants.delete(grantId);
        this.signOutAndThrow(req);
      }
      throw error;
    }
  }

  /**
   * Forgets the person but keeps the session, so the home page can say why, and ends the request
   * with SessionEndedError (the edge sends the browser to sign in again).
   */
  signOutAndThrow(req: Request): never {
    delete req.webexGrant;
    forgetSignIn(req.session, SIGNED_OUT_NOTICE);
    throw new SessionEndedError();
  }
}

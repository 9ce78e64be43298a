import { Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { WebexRejectedError } from '../webex';
import { NotSignedInError, SessionEndedError } from './auth.errors';
import { OAuthService } from './oauth.service';

/** Refresh this long before expiry, so a token never dies in the middle of a page. */
export const REFRESH_MARGIN_MS = 60_000;

export const SIGNED_OUT_NOTICE = 'Your Webex sign-in has expired. Please sign in again.';

/** Keeps the tokens in a request's session usable, or ends the sign-in cleanly when Webex says no. */
@Injectable()
export class SessionTokensService {
  private readonly logger = new Logger('OAuth');

  constructor(private readonly oauth: OAuthService) {}

  needsRefresh(req: Request, now = Date.now()): boolean {
    const tokens = req.session?.tokens;
    return tokens !== undefined && tokens.accessTokenExpiresAt - now < REFRESH_MARGIN_MS;
  }

  /** Refreshes the session's tokens; on a refused refresh token the session is signed out and SessionEndedError thrown. */
  async refresh(req: Request): Promise<void> {
    const tokens = req.session?.tokens;
    if (!tokens) throw new NotSignedInError();
    if (tokens.refreshTokenExpiresAt !== undefined && tokens.refreshTokenExpiresAt <= Date.now()) {
      this.endSignIn(req);
    }
    try {
      req.session.tokens = await this.oauth.refresh(tokens);
    } catch (error) {
      if (error instanceof WebexRejectedError && error.oauthError === 'invalid_grant') {
        this.logger.log(`refresh token refused by Webex (trackingId=${error.trackingId ?? '-'}); signing the session out`);
        this.endSignIn(req);
      }
      throw error;
    }
  }

  /** Forgets the person and their tokens but keeps the session, so the home page can say why. */
  endSignIn(req: Request): never {
    delete req.session.user;
    delete req.session.tokens;
    delete req.session.signedInAt;
    req.session.notice = SIGNED_OUT_NOTICE;
    throw new SessionEndedError();
  }
}

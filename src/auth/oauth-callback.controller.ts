import { Controller, Get, Header, UseGuards, Query, Req, Res, ValidationPipe } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { signIns } from '../metrics';
import { SessionService, StoreUnavailableError } from '../session';
import { WebexApiError, webexCalls } from '../webex';
import { SignInError } from './auth.errors';
import { CallbackQueryDto } from './callback-query.dto';
import { Feature } from './feature.decorator';
import { OAuthService } from './oauth.service';
import { Public } from './public.decorator';
import { safeReturnPath } from './return-path';
import { SessionTokensService } from './session-tokens.service';

/**
 * Webex sends the browser back to the redirect URI. Its path is configuration (the tutorial
 * uses /oauth), so AuthModule sets this controller's path from it before routes are resolved.
 */
@Public()
@Feature({ key: 'signIn', label: 'Sign-in', calls: [webexCalls.me], required: true })
@Controller()
export class OAuthCallbackController {
  constructor(
    private readonly oauth: OAuthService,
    private readonly sessions: SessionService,
    private readonly tokens: SessionTokensService,
  ) {}

  @UseGuards(ThrottlerGuard)
  @Get()
  @Header('Cache-Control', 'no-store')
  async callback(
    @Req() req: Request,
    @Res() res: Response,
    @Query(
      new ValidationPipe({ whitelist: true, exceptionFactory: () => failed(new SignInError('unexpected_parameters')) }),
    )
    query: CallbackQueryDto,
  ): Promise<void> {
    const browserId = req.session?.browserId;
    let returnTo: string | undefined;
    try {
      const signedIn = await this.oauth.finishSignIn(browserId, query);
      const { user, tokens } = signedIn;
      returnTo = signedIn.returnTo;
      // A new session id at sign-in (no fixation); the browser id stays so other tabs' sign-ins still match.
      const grantId = await this.tokens.startGrant(tokens);
      await this.sessions.regenerate(req, { browserId, user, grantId, signedInAt: Date.now() });
    } catch (error) {
      throw failed(error);
    }
    signIns.inc({ stage: 'completed', reason: '' });
    // 303 to a clean URL: the code never stays in the address bar or the history.
    res.redirect(303, safeReturnPath(returnTo) ?? '/');
  }
}

/** Counts a failed sign-in by a reason from a fixed set (metrics labels stay bounded). */
function failed(error: unknown): unknown {
  const reason =
    error instanceof SignInError
      ? error.reason
      : error instanceof WebexApiError
        ? 'webex_error'
        : error instanceof StoreUnavailableError
          ? 'store_unavailable'
          : 'other';
  signIns.inc({ stage: 'failed', reason });
  return error;
}

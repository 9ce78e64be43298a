import { Controller, Get, Header, Query, Req, Res, UseGuards, ValidationPipe, type Type } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import type { oauthConfig } from '../config';
import { signIns } from '../metrics';
import { webexCalls } from '../webex';
import { SignInError } from './auth.errors';
import { CallbackQueryDto } from './callback-query.dto';
import { Feature } from './feature.decorator';
import { Public } from './public.decorator';
import { SignInService } from './sign-in.service';

/** Login with Webex needs `openid`; plain OAuth asks /people/me who signed in. */
const signInFeature = (openId: boolean) =>
  openId
    ? {
        key: 'signIn',
        label: 'Sign-in',
        calls: [],
        scopes: ['openid'],
        optionalScopes: ['email', 'profile'],
        required: true,
      }
    : { key: 'signIn', label: 'Sign-in', calls: [webexCalls.me], required: true };

function refused(): SignInError {
  signIns.inc({ stage: 'failed', reason: 'unexpected_parameters' });
  return new SignInError('unexpected_parameters');
}

/**
 * Webex sends the browser back to the redirect URI. Its path is configuration (the tutorial's
 * /oauth) and Nest reads a route's path from its decorator, so AuthModule.forRoot makes this
 * controller for the configured path.
 */
export function oauthCallbackController(oauth: Pick<ConfigType<typeof oauthConfig>, 'callbackPath' | 'openId'>): Type {
  @Public()
  @Feature(signInFeature(oauth.openId))
  @Controller(oauth.callbackPath)
  class OAuthCallbackController {
    constructor(private readonly signIn: SignInService) {}

    @UseGuards(ThrottlerGuard)
    @Get()
    @Header('Cache-Control', 'no-store')
    async callback(
      @Req() req: Request,
      @Res() res: Response,
      @Query(new ValidationPipe({ whitelist: true, exceptionFactory: refused }))
      query: CallbackQueryDto,
    ): Promise<void> {
      // 303 to a clean URL: the code never stays in the address bar or the history.
      res.redirect(303, await this.signIn.complete(req, query));
    }
  }
  return OAuthCallbackController;
}

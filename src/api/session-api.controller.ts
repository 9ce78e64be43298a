import { Controller, Get, HttpCode, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { FeaturesService, Public, SessionTokensService } from '../auth';
import { sessionConfig } from '../config';
import { SessionService } from '../session';
import { SessionDto } from './api.dto';
import { ApiFailures } from './api-failures.decorator';
import { ApiProblemFilter } from './api-problem.filter';

/** The session's JSON face: who is signed in, what they may use, and signing out. */
@ApiTags('session')
@UseFilters(ApiProblemFilter)
@Controller('api/v1')
export class SessionApiController {
  constructor(
    private readonly tokens: SessionTokensService,
    private readonly sessions: SessionService,
    private readonly features: FeaturesService,
    @Inject(sessionConfig.KEY) private readonly config: ConfigType<typeof sessionConfig>,
  ) {}

  /** Public: a front end asks it first, to show "sign in" or the person. Never a token. */
  @Public()
  @Get('session')
  @ApiOperation({ summary: 'Whether this browser is signed in, as whom, until when, and which features are on' })
  @ApiOkResponse({ type: SessionDto })
  getSession(@Req() req: Request): SessionDto {
    const signedIn = this.sessions.isSignedIn(req.session);
    const { user, signedInAt } = req.session ?? {};
    return {
      signedIn,
      ...(signedIn && user ? { displayName: user.displayName } : {}),
      ...(signedIn && user?.sub ? { sub: user.sub } : {}),
      ...(signedIn && user?.email ? { email: user.email } : {}),
      ...(signedIn && signedInAt !== undefined
        ? { expiresAt: new Date(signedInAt + this.config.absoluteTimeoutSeconds * 1000).toISOString() }
        : {}),
      idleTimeoutSeconds: this.config.idleTimeoutSeconds,
      features: this.features.all().map(({ key, label, available, missingScopes }) => ({
        key,
        label,
        available,
        missingScopes: [...missingScopes],
      })),
    };
  }

  /**
   * Ends the sign-in (the tokens are forgotten) and the session. Public and idempotent: signing
   * out when signed out is done already. Same-origin only (the global SameOriginGuard), like the
   * page's button: another site must not be able to sign a person out.
   */
  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out (same-origin requests only)' })
  @ApiNoContentResponse({ description: 'Signed out; the session cookie is cleared.' })
  @ApiFailures(403, 503)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.tokens.endGrant(req.session?.grantId);
    await this.sessions.destroy(req, res);
  }
}

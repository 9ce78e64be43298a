import { Controller, Get, UseGuards, Post, Render, Req, Res } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { SessionService } from '../session';
import { Public } from './public.decorator';
import { safeReturnPath } from './return-path';
import { SessionTokensService } from './session-tokens.service';
import { SignInService } from './sign-in.service';

@Public()
@Controller()
export class AuthController {
  constructor(
    private readonly signIn: SignInService,
    private readonly sessions: SessionService,
    private readonly tokens: SessionTokensService,
  ) {}

  /** Signed out: the home page. Signed in: who you are. Both paths, as the tutorial links either. */
  @Get(['/', '/index.html'])
  @Render('index')
  home(@Req() req: Request) {
    const session = req.session;
    const { user, grantId, notice } = session ?? {};
    if (user && grantId) return { user };
    if (session && notice) delete session.notice;
    // Sent here from a page that needs sign-in (HttpErrorFilter): say so, and sign in back to it.
    const next = safeReturnPath(req.query.next);
    return {
      notice: notice ?? (next && 'Please sign in to see that page. After you sign in, you will be taken back to it.'),
      loginHref: next ? `/login?next=${encodeURIComponent(next)}` : '/login',
    };
  }

  @UseGuards(ThrottlerGuard)
  @Get('login')
  async login(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.redirect(302, await this.signIn.begin(req, res));
  }

  /** The tutorial links to GET /logout; a GET must not change state, so it shows the button. */
  @Get('logout')
  @Render('logout')
  logoutPage(): void {}

  @Post('logout')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.tokens.endGrant(req.session?.grantId);
    await this.sessions.destroy(req, res);
    res.redirect(303, '/');
  }
}

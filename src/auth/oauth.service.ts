import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { appConfig, oauthConfig } from '../config';
import { LoginStateStore, type SessionUser } from '../session';
import { WebexApiService, WebexGrantRefusedError, webexCalls, type WebexTokens } from '../webex';
import { SignInError } from './auth.errors';
import { FeaturesService } from './features.service';
import type { CallbackQueryDto } from './callback-query.dto';

const base64url = (bytes: Buffer) => bytes.toString('base64url');

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The OAuth 2.0 authorization-code flow with PKCE (RFC 6749, RFC 7636, RFC 9700) against
 * Webex, and token refresh. It holds no session: the controller and guard own that.
 */
@Injectable()
export class OAuthService {
  private readonly logger = new Logger('OAuth');

  constructor(
    private readonly webex: WebexApiService,
    private readonly loginStates: LoginStateStore,
    private readonly features: FeaturesService,
    @Inject(oauthConfig.KEY) private readonly config: ConfigType<typeof oauthConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /**
   * Records a pending sign-in for this browser (with the page to return to, kept with the state)
   * and returns the Webex authorize URL to send it to.
   */
  async startSignIn(browserId: string, returnTo?: string): Promise<string> {
    const state = base64url(randomBytes(32));
    const codeVerifier = base64url(randomBytes(32));
    const codeChallenge = base64url(createHash('sha256').update(codeVerifier).digest());
    await this.loginStates.put(
      state,
      { browserId, codeVerifier, createdAt: Date.now(), ...(returnTo ? { returnTo } : {}) },
      this.config.loginStateTtlSeconds,
    );

    const url = new URL(this.config.authorizeEndpoint);
    url.search = new URLSearchParams({
      client_id: this.config.clientId,
      response_type: 'code',
      redirect_uri: this.config.redirectUri,
      scope: this.features.requestedScopes().join(' '),
      state,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    this.debug('sign-in started: redirecting to the authorize endpoint');
    return url.toString();
  }

  /**
   * Checks the callback, consumes its state, exchanges the code and fetches the person.
   * Throws SignInError for everything the browser sent wrong, WebexApiError when Webex failed.
   */
  async finishSignIn(
    browserId: string | undefined,
    query: CallbackQueryDto,
  ): Promise<{ user: SessionUser; tokens: WebexTokens; returnTo?: string }> {
    if (query.error !== undefined) {
      // The state is spent either way: an error answer must not leave it usable.
      if (query.state) await this.loginStates.take(query.state);
      const code = /^[\w.-]{1,64}$/.test(query.error) ? query.error : undefined;
      this.debug(`callback carries error=${code ?? '(unreadable)'}`);
      switch (code) {
        case 'access_denied':
        case 'invalid_scope':
        case 'server_error':
          throw new SignInError(code, code);
        default:
          throw new SignInError('other_error', code);
      }
    }
    if (!query.code || !query.state) {
      this.debug('callback without code or state');
      throw new SignInError('unexpected_parameters');
    }

    const pending = await this.loginStates.take(query.state);
    const expired = pending !== undefined && Date.now() - pending.createdAt > this.config.loginStateTtlSeconds * 1000;
    if (!pending || !browserId || expired || !sameSecret(pending.browserId, browserId)) {
      this.debug('callback state is unknown, used, expired or from another browser');
      throw new SignInError('state_mismatch');
    }

    let tokens: WebexTokens;
    try {
      tokens = await this.webex.exchangeCode(query.code, pending.codeVerifier);
    } catch (error) {
      // The code was used, expired, or the client is misconfigured: a sign-in to start again, not an outage.
      if (error instanceof WebexGrantRefusedError) throw new SignInError('code_rejected');
      throw error;
    }
    const person = await this.webex.get(webexCalls.me, tokens.accessToken);
    this.debug('code exchanged and person fetched');
    return { user: { id: person.id, displayName: person.displayName }, tokens, returnTo: pending.returnTo };
  }

  /** Trades a refresh token for new tokens. Never retried: Webex may rotate refresh tokens. */
  async refresh(grant: WebexTokens): Promise<WebexTokens> {
    this.debug('refreshing the access token');
    return this.webex.refreshTokens(grant.refreshToken);
  }

  private debug(message: string): void {
    if (this.app.debugOAuth) this.logger.log(message);
    else this.logger.debug(message);
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { appConfig, oauthConfig } from '../config';
import { LoginStateStore, type SessionTokens, type SessionUser } from '../session';
import { WebexApiService, WebexRejectedError, type WebexTokens } from '../webex';
import { SignInError } from './auth.errors';
import type { CallbackQueryDto } from './callback-query.dto';

const base64url = (bytes: Buffer) => bytes.toString('base64url');

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function toSessionTokens(tokens: WebexTokens): SessionTokens {
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessTokenExpiresAt: tokens.accessTokenExpiresAt,
    refreshTokenExpiresAt: tokens.refreshTokenExpiresAt,
  };
}

/** How long a refresh result is reused for requests that still carry the refresh token it replaced. */
const RECENT_REFRESH_MS = 30_000;

/**
 * The OAuth 2.0 authorization-code flow with PKCE (RFC 6749, RFC 7636, RFC 9700) against
 * Webex, and token refresh. It holds no session: the controller and guard own that.
 */
@Injectable()
export class OAuthService {
  private readonly logger = new Logger('OAuth');
  private readonly inFlight = new Map<string, Promise<SessionTokens>>();
  private readonly recent = new LRUCache<string, SessionTokens>({ max: 10_000, ttl: RECENT_REFRESH_MS });

  constructor(
    private readonly webex: WebexApiService,
    private readonly loginStates: LoginStateStore,
    @Inject(oauthConfig.KEY) private readonly config: ConfigType<typeof oauthConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /** Records a pending sign-in for this browser and returns the Webex authorize URL to send it to. */
  async startSignIn(browserId: string): Promise<string> {
    const state = base64url(randomBytes(32));
    const codeVerifier = base64url(randomBytes(32));
    const codeChallenge = base64url(createHash('sha256').update(codeVerifier).digest());
    await this.loginStates.put(state, { browserId, codeVerifier, createdAt: Date.now() }, this.config.loginStateTtlSeconds);

    const url = new URL(this.config.authorizeEndpoint);
    url.search = new URLSearchParams({
      client_id: this.config.clientId,
      response_type: 'code',
      redirect_uri: this.config.redirectUri,
      scope: this.config.scopes.join(' '),
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
  async finishSignIn(browserId: string | undefined, query: CallbackQueryDto): Promise<{ user: SessionUser; tokens: SessionTokens }> {
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
      if (error instanceof WebexRejectedError && error.oauthError === 'invalid_grant') {
        throw new SignInError('code_rejected', 'invalid_grant');
      }
      throw error;
    }
    const person = await this.webex.getMe(tokens.accessToken);
    this.debug('code exchanged and person fetched');
    return { user: { id: person.id, displayName: person.displayName }, tokens: toSessionTokens(tokens) };
  }

  /**
   * Refreshes once per refresh token however many requests ask at the same time, and hands the
   * same answer to requests that arrive shortly after with the old token: when Webex rotates
   * refresh tokens, a second refresh with the old one would be refused and sign the person out.
   */
  refresh(tokens: SessionTokens): Promise<SessionTokens> {
    const key = createHash('sha256').update(tokens.refreshToken).digest('base64url');
    const done = this.recent.get(key);
    if (done) return Promise.resolve(done);
    let flight = this.inFlight.get(key);
    if (!flight) {
      this.debug('refreshing the access token');
      flight = this.webex
        .refreshTokens(tokens.refreshToken)
        .then((fresh) => {
          const next = toSessionTokens(fresh);
          this.recent.set(key, next);
          return next;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, flight);
    }
    return flight;
  }

  private debug(message: string): void {
    if (this.app.debugOAuth) this.logger.log(message);
    else this.logger.debug(message);
  }
}

import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request, Response } from 'express';
import { errors } from 'jose';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { appConfig, oauthConfig } from '../config';
import { signIns } from '../metrics';
import { GrantStore, LoginStateStore, SessionService, StoreUnavailableError, type SessionUser } from '../session';
import {
  WEBEX_TOKEN_ENDPOINT,
  WebexApiError,
  WebexApiService,
  WebexBadResponseError,
  WebexGrantRefusedError,
  WebexUnavailableError,
  webexCalls,
  type OpenIdConfiguration,
  type TokenEndpoint,
  type WebexTokens,
} from '../webex';
import { SignInError } from './auth.errors';
import type { CallbackQueryDto } from './callback-query.dto';
import { FeaturesService } from './features.service';
import { IdTokenRejected, IdTokenVerifier, printable, type IdTokenClaims } from './id-token.verifier';
import { safeReturnPath } from './return-path';

const random = (bytes: number) => randomBytes(bytes).toString('base64url');

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Login with Webex as read from its discovery document, with the verifier made for it. */
interface LoginWithWebex {
  issuers: string[];
  /** RFC 9207: the authorization server says it puts `iss` on every callback. */
  issInResponse: boolean;
  tokenEndpoint: TokenEndpoint;
  userinfoEndpoint?: string;
  verifier: IdTokenVerifier;
}

/**
 * Sign-in, from the redirect to Webex to the signed-in session: the OAuth 2.0 authorization-code
 * flow with PKCE (RFC 6749, RFC 7636, RFC 9700) and, when the integration asks for `openid`,
 * Login with Webex (OpenID Connect Core 1.0): a nonce, and the id_token verified before anyone
 * is signed in. Without `openid`, as the sample does, the person is whoever /people/me says.
 */
@Injectable()
export class SignInService implements OnApplicationBootstrap {
  private readonly logger = new Logger('OAuth');
  private loginWithWebex?: Promise<LoginWithWebex>;

  constructor(
    private readonly webex: WebexApiService,
    private readonly loginStates: LoginStateStore,
    private readonly grants: GrantStore,
    private readonly sessions: SessionService,
    private readonly features: FeaturesService,
    @Inject(oauthConfig.KEY) private readonly config: ConfigType<typeof oauthConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /**
   * Login with Webex reads the discovery document at start-up. In production a service that
   * cannot verify anyone must not start; elsewhere it says why and the next sign-in tries again.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.openId) return;
    try {
      const { issuers, tokenEndpoint } = await this.openId();
      this.logger.log(`Login with Webex: id_tokens from ${issuers.join(' or ')}; tokens by ${tokenEndpoint.auth}`);
    } catch (error) {
      const message = `Login with Webex is on (AUTH_INIT_URL's scope has openid) but its discovery document could not be used: ${describe(error)}. Check WEBEX_API_BASE_URL (the document is read from {WEBEX_API_BASE_URL}/.well-known/openid-configuration), or take openid out of the integration's scopes and AUTH_INIT_URL`;
      if (this.app.isProduction) throw new Error(message, { cause: error });
      this.logger.warn(`${message}. The next sign-in tries again.`);
    }
  }

  /**
   * Starts a sign-in for this browser: a session (so the callback can be matched to it), and a
   * pending sign-in under a fresh state with its PKCE verifier, nonce and page to return to.
   * Returns the authorize URL to send the browser to.
   */
  async begin(req: Request, res: Response): Promise<string> {
    const session = await this.sessions.start(req, res);
    session.browserId ??= random(16);
    const state = random(32);
    const codeVerifier = random(32);
    const nonce = this.config.openId ? random(32) : undefined;
    const returnTo = safeReturnPath(req.query.next);
    await this.loginStates.put(
      state,
      {
        browserId: session.browserId,
        codeVerifier,
        createdAt: Date.now(),
        ...(nonce ? { nonce } : {}),
        ...(returnTo ? { returnTo } : {}),
      },
      this.config.loginStateTtlSeconds,
    );

    const url = new URL(this.config.authorizeEndpoint);
    url.search = new URLSearchParams({
      client_id: this.config.clientId,
      response_type: 'code',
      redirect_uri: this.config.redirectUri,
      scope: this.features.requestedScopes().join(' '),
      state,
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...(nonce ? { nonce } : {}),
    }).toString();
    signIns.inc({ stage: 'started', reason: '' });
    this.debug('sign-in started: redirecting to the authorize endpoint');
    return url.toString();
  }

  /**
   * Finishes the sign-in Webex sent the browser back from: checks the callback against the
   * pending sign-in, exchanges the code, verifies who signed in, stores the tokens and gives the
   * session a new id. Returns where to send the browser. Throws SignInError for what the browser
   * or the id_token got wrong, WebexApiError when Webex failed.
   */
  async complete(req: Request, query: CallbackQueryDto): Promise<string> {
    try {
      const browserId = req.session?.browserId;
      const pending = await this.checkCallback(browserId, query);
      const openId = this.config.openId ? await this.openId() : undefined;
      if (openId) this.checkIssuer(openId, query.iss);
      const tokens = await this.exchange(query.code as string, pending.codeVerifier, openId?.tokenEndpoint);
      const user = openId
        ? await this.identify(openId, tokens, pending.nonce)
        : await this.webex.get(webexCalls.me, tokens.accessToken).then(({ id, displayName }) => ({ id, displayName }));

      const { idToken: _verified, ...kept } = tokens;
      const grantId = random(18);
      await this.grants.save(grantId, { ...kept, version: 1 });
      // A new session id at sign-in (no fixation); the browser id stays so other tabs' sign-ins still match.
      await this.sessions.regenerate(req, { browserId, user, grantId, signedInAt: Date.now() }).catch(async (error) => {
        // The session error is the one to tell: a failed clean-up is only a grant left to its TTL.
        await this.grants.delete(grantId).catch(() => undefined);
        throw error;
      });
      signIns.inc({ stage: 'completed', reason: '' });
      this.debug(openId ? `signed in: sub=${user.id}` : 'code exchanged and person fetched');
      return safeReturnPath(pending.returnTo) ?? '/';
    } catch (error) {
      signIns.inc({ stage: 'failed', reason: failureReason(error) });
      throw error;
    }
  }

  /** Trades a refresh token for new tokens, where sign-in got them. Never retried: Webex may rotate refresh tokens. */
  async refresh(grant: WebexTokens): Promise<WebexTokens> {
    this.debug('refreshing the access token');
    const endpoint = this.config.openId ? (await this.openId()).tokenEndpoint : WEBEX_TOKEN_ENDPOINT;
    const { idToken: _unused, ...tokens } = await this.webex.refreshTokens(grant.refreshToken, endpoint);
    return tokens;
  }

  /** The callback's error, code and state, against the pending sign-in its state names (spent either way). */
  private async checkCallback(browserId: string | undefined, query: CallbackQueryDto) {
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
    return pending;
  }

  private async exchange(code: string, codeVerifier: string, endpoint?: TokenEndpoint): Promise<WebexTokens> {
    try {
      return await this.webex.exchangeCode(code, codeVerifier, endpoint);
    } catch (error) {
      // The code was used, expired, or the client is misconfigured: a sign-in to start again, not an outage.
      if (error instanceof WebexGrantRefusedError) throw new SignInError('code_rejected');
      throw error;
    }
  }

  /**
   * RFC 9207: an authorization server that says who it is must be one we accept, and one that
   * promises to say it always must have said it.
   */
  private checkIssuer(openId: LoginWithWebex, iss: string | undefined): void {
    if (iss === undefined ? !openId.issInResponse : openId.issuers.includes(iss)) return;
    this.logger.warn(
      iss === undefined
        ? 'sign-in refused: the callback has no iss, which the discovery document says Webex always sends (RFC 9207)'
        : `sign-in refused: the callback's iss is not an accepted issuer (RFC 9207); issuer received: ${printable(iss)}`,
    );
    throw new SignInError('not_verified');
  }

  /**
   * Who signed in, from the verified id_token; name and email from UserInfo when the token
   * leaves them out (Core §5.3.2: UserInfo's `sub` must be the id_token's). An email the
   * provider says is unverified is not kept.
   */
  private async identify(openId: LoginWithWebex, tokens: WebexTokens, nonce: string | undefined): Promise<SessionUser> {
    let claims: IdTokenClaims;
    try {
      // A sign-in begun before Login with Webex was turned on has no nonce to compare: start again.
      if (!nonce) throw new IdTokenRejected('nonce', 'this sign-in was begun without a nonce');
      if (!tokens.idToken) throw new IdTokenRejected('format', 'the token answer has no id_token');
      claims = await openId.verifier.verify(tokens.idToken, nonce);
    } catch (error) {
      if (!(error instanceof IdTokenRejected)) throw error;
      if (error.check === 'keys unavailable') {
        this.logger.warn(`sign-in not completed: ${error.message}`);
        throw keysUnavailable(error);
      }
      this.logger.warn(`sign-in refused: ${error.message}`);
      throw new SignInError('not_verified');
    }
    let { name, email, emailVerified } = claims;
    if ((name === undefined || email === undefined) && openId.userinfoEndpoint) {
      const info = await this.webex.userInfo(openId.userinfoEndpoint, tokens.accessToken).catch((error: unknown) => {
        // Who signed in is verified already: without UserInfo, the name or email is left out.
        if (error instanceof WebexApiError) return undefined;
        throw error;
      });
      if (info && info.sub !== claims.sub) {
        this.logger.warn(
          `sign-in refused: UserInfo is for another subject than the id_token (sub=${printable(claims.sub)})`,
        );
        throw new SignInError('not_verified');
      }
      name ??= info?.name;
      if (email === undefined && info?.email !== undefined) ({ email, email_verified: emailVerified } = info);
    }
    const keptEmail = emailVerified === false ? undefined : email;
    return {
      id: claims.sub,
      sub: claims.sub,
      displayName: name ?? keptEmail ?? 'Webex user',
      ...(keptEmail ? { email: keptEmail } : {}),
    };
  }

  /** The discovery document, read once (again after a failure) and kept. */
  private openId(): Promise<LoginWithWebex> {
    this.loginWithWebex ??= this.discover().catch((error: unknown) => {
      this.loginWithWebex = undefined;
      throw error;
    });
    return this.loginWithWebex;
  }

  private async discover(): Promise<LoginWithWebex> {
    const document = await this.webex.openIdConfiguration();
    const algorithms = document.id_token_signing_alg_values_supported;
    if (algorithms && !algorithms.includes('RS256')) {
      throw new Error(`it signs id_tokens with ${algorithms.join(', ')}, not RS256`);
    }
    const issuers = [...new Set([document.issuer, ...this.config.extraIssuers])];
    return {
      issuers,
      issInResponse: document.authorization_response_iss_parameter_supported === true,
      tokenEndpoint: { url: document.token_endpoint, auth: tokenEndpointAuth(document) },
      userinfoEndpoint: document.userinfo_endpoint,
      verifier: new IdTokenVerifier({
        jwksUri: document.jwks_uri,
        issuers,
        clientId: this.config.clientId,
        // The keys come through the Webex client: its pool, proxy, deadline and logs.
        fetch: async (url) => Response.json(await this.webex.signingKeys(url)),
      }),
    };
  }

  private debug(message: string): void {
    if (this.app.debugOAuth) this.logger.log(message);
    else this.logger.debug(message);
  }
}

/** Basic when advertised (the default when none are, Discovery §3), else the form. */
function tokenEndpointAuth(document: OpenIdConfiguration): TokenEndpoint['auth'] {
  const methods = document.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  if (methods.includes('client_secret_basic')) return 'client_secret_basic';
  if (methods.includes('client_secret_post')) return 'client_secret_post';
  throw new Error(
    `its token endpoint takes ${methods.join(', ')}, and this service authenticates with a client secret`,
  );
}

/** The keys could not be had: Webex failed (a 502 page with its trackingId), not the person's sign-in. */
function keysUnavailable(error: IdTokenRejected): WebexApiError {
  if (error.cause instanceof WebexApiError) return error.cause;
  if (error.cause instanceof errors.JWKSTimeout) {
    return new WebexUnavailableError('Webex could not be reached (timed out)', 'GET jwks_uri');
  }
  return new WebexBadResponseError('Webex sent signing keys this service could not read', 'GET jwks_uri', 200);
}

function describe(error: unknown): string {
  if (error instanceof WebexApiError)
    return `${error.message}${error.trackingId ? ` (trackingId=${error.trackingId})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

/** A failed sign-in by a reason from a fixed set (metrics labels stay bounded). */
function failureReason(error: unknown): string {
  if (error instanceof SignInError) return error.reason;
  if (error instanceof WebexApiError) return 'webex_error';
  if (error instanceof StoreUnavailableError) return 'store_unavailable';
  return 'other';
}

import express, { type Request, type Response, Router } from 'express';
import { grantedUser } from './api-handlers';
import { consentPage, sendHtml } from './consent-page';
import type { AuthorizationRequest } from './emulator-state';
import type { EmulatorClient, IssuedTokens } from './emulator.types';
import { faultGate, grantTypeOf } from './faults';
import { enterRoute, routeFront, type RouteContext } from './route-context';
import { SEED_USERS, findSeedUser } from './seed-data';
import { EmulatorHttpError, oneParam, requiredParam } from './webex-responses';

// RFC 7636 §4.2: an S256 challenge is a base64url SHA-256, 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;
const FORM_LIMITS = { extended: false, limit: '16kb', parameterLimit: 50 } as const;

class RedirectError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

function redirectWith(res: Response, redirectUri: string, params: Record<string, string | undefined>): void {
  // URL keeps whatever query the registered redirect URI already has.
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  res.status(302).set({ Location: url.href, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).end();
}

/** Parses what may be sent back to the client: everything after client_id and redirect_uri checked out. */
function readAuthorizationRequest(
  query: unknown,
  client: EmulatorClient,
  redirectUri: string,
  requirePkce: boolean,
): AuthorizationRequest {
  const param = (name: string): string | undefined => {
    try {
      return oneParam(query, name);
    } catch {
      throw new RedirectError('invalid_request', `${name} must be given once.`);
    }
  };
  const state = param('state');
  if (param('response_type') !== 'code') {
    throw new RedirectError('unsupported_response_type', 'response_type must be code.');
  }
  const scopes = [...new Set((param('scope') ?? '').split(' ').filter(Boolean))];
  if (scopes.length === 0) throw new RedirectError('invalid_scope', 'scope is required.');
  if (!scopes.every((scope) => client.scopes.includes(scope))) {
    throw new RedirectError('invalid_scope', 'The integration does not have every scope requested.');
  }
  const challenge = param('code_challenge');
  const method = param('code_challenge_method');
  if (challenge !== undefined || method !== undefined) {
    // RFC 7636 §4.4.1: an unsupported method is invalid_request, and that includes 'plain',
    // which is also what a challenge without a method means.
    if (method !== 'S256') throw new RedirectError('invalid_request', 'code_challenge_method must be S256.');
    if (challenge === undefined || !S256_CHALLENGE.test(challenge)) {
      throw new RedirectError('invalid_request', 'code_challenge must be a base64url SHA-256 digest.');
    }
  } else if (requirePkce) {
    throw new RedirectError('invalid_request', 'code_challenge is required.');
  }
  return { clientId: client.clientId, redirectUri, scopes, state, codeChallenge: challenge, nonce: param('nonce') };
}

function getAuthorize(ctx: RouteContext) {
  return (req: Request, res: Response): void => {
    // Express 5 parses req.query again on every read.
    const query = req.query;
    const clientId = oneParam(query, 'client_id');
    const redirectUri = oneParam(query, 'redirect_uri');
    const client = clientId === undefined ? undefined : ctx.state.client(clientId);
    // RFC 6749 §4.1.2.1: without a trusted client and redirect URI, never redirect.
    if (!client) throw new EmulatorHttpError(400, 'The client_id is missing or not registered: check the integration.');
    if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
      throw new EmulatorHttpError(
        400,
        'The redirect_uri is missing or is not one of the integration’s registered redirect URIs.',
      );
    }
    let request: AuthorizationRequest;
    try {
      request = readAuthorizationRequest(query, client, redirectUri, ctx.settings.requirePkce);
    } catch (error) {
      if (!(error instanceof RedirectError)) throw error;
      const state = typeof query.state === 'string' ? query.state : undefined;
      redirectWith(res, redirectUri, { error: error.error, error_description: error.description, state });
      return;
    }
    const autoUser = ctx.settings.autoConsentUser;
    if (autoUser !== undefined) {
      redirectWith(res, redirectUri, { code: ctx.state.issueCode(request, autoUser), state: request.state });
      return;
    }
    const page = consentPage({
      tx: ctx.state.beginConsent(request),
      clientId: client.clientId,
      scopes: request.scopes,
      users: [...SEED_USERS.values()].map((user) => ({
        handle: user.handle,
        displayName: user.person.displayName,
        email: user.person.emails[0],
      })),
    });
    sendHtml(res, 200, page, new URL(redirectUri).origin);
  };
}

function postAuthorize(ctx: RouteContext) {
  return (req: Request, res: Response): void => {
    const tx = oneParam(req.body, 'tx');
    const request = tx === undefined ? undefined : ctx.state.takeConsent(tx);
    if (!request) {
      throw new EmulatorHttpError(400, 'This sign-in has expired or was already used. Start again from the app.');
    }
    const decision = oneParam(req.body, 'decision');
    if (decision === 'decline') {
      redirectWith(res, request.redirectUri, {
        error: 'access_denied',
        error_description: 'The user declined the request.',
        state: request.state,
      });
      return;
    }
    if (decision !== 'accept') throw new EmulatorHttpError(400, 'decision must be accept or decline.');
    const user = findSeedUser(oneParam(req.body, 'user') ?? '');
    if (!user) throw new EmulatorHttpError(400, 'Choose one of the sandbox users.');
    redirectWith(res, request.redirectUri, { code: ctx.state.issueCode(request, user.handle), state: request.state });
  };
}

function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** RFC 6749 §2.3.1: credentials in the body or by HTTP Basic (form-encoded inside), not both. */
function authenticateClient(ctx: RouteContext, req: Request, res: Response): EmulatorClient {
  const header = req.headers.authorization;
  const usesBasic = header !== undefined && /^basic /i.test(header);
  const bodyId = oneParam(req.body, 'client_id');
  let clientId = bodyId;
  let secret = oneParam(req.body, 'client_secret');
  if (usesBasic) {
    if (secret !== undefined) {
      throw new EmulatorHttpError(400, 'Use one client authentication method, not two.', 'invalid_request');
    }
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    clientId = colon < 0 ? undefined : formDecode(decoded.slice(0, colon));
    secret = colon < 0 ? undefined : formDecode(decoded.slice(colon + 1));
  }
  const consistent = !usesBasic || bodyId === undefined || bodyId === clientId;
  const client = consistent && clientId && secret ? ctx.state.authenticateClient(clientId, secret) : undefined;
  if (!client) {
    // RFC 6749 §5.2: a client that tried Basic is told which scheme to use.
    if (usesBasic) res.setHeader('WWW-Authenticate', 'Basic realm="webex-emulator"');
    throw new EmulatorHttpError(401, 'Client authentication failed.', 'invalid_client');
  }
  return client;
}

function postAccessToken(ctx: RouteContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const grantType = oneParam(req.body, 'grant_type');
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      throw new EmulatorHttpError(
        400,
        'grant_type must be authorization_code or refresh_token.',
        'unsupported_grant_type',
      );
    }
    const client = authenticateClient(ctx, req, res);
    let tokens: IssuedTokens;
    if (grantType === 'authorization_code') {
      const redeemed = ctx.state.redeemCode(
        client,
        requiredParam(req.body, 'code'),
        requiredParam(req.body, 'redirect_uri'),
        oneParam(req.body, 'code_verifier'),
      );
      tokens = redeemed.tokens;
      if (redeemed.grant.scopes.includes('openid')) {
        const user = grantedUser(redeemed.grant);
        tokens = { ...tokens, id_token: await ctx.oidc.idToken({ ...redeemed.grant, user, nonce: redeemed.nonce }) };
      }
    } else {
      tokens = ctx.state.refresh(client, requiredParam(req.body, 'refresh_token'));
    }
    // RFC 6749 §5.1: token answers must not be cached.
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(tokens);
  };
}

/** /v1/authorize (consent page and its form) and /v1/access_token. */
export function oauthRoutes(ctx: RouteContext): Router {
  const router = Router();
  const form = express.urlencoded(FORM_LIMITS);
  router.get('/v1/authorize', ...routeFront(ctx, 'authorize', 'html'), getAuthorize(ctx));
  router.post('/v1/authorize', ...routeFront(ctx, 'authorize', 'html'), form, postAuthorize(ctx));
  router.post(
    '/v1/access_token',
    enterRoute(ctx, 'token', 'token'),
    form,
    (req, _res, next) => {
      const grantType = grantTypeOf(req.body);
      if (grantType === 'authorization_code' || grantType === 'refresh_token') ctx.stats.tokenGrants[grantType]++;
      next();
    },
    // After the body parser, so a fault can match on grant_type.
    faultGate('token', ctx.faults, ctx.delays),
    postAccessToken(ctx),
  );
  return router;
}

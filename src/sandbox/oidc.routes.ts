import { Router } from 'express';
import { callerOf, requireScope } from './api-handlers';
import type { Grant } from './emulator-state';
import { claimsOf } from './oidc-provider';
import { routeFront, type RouteContext } from './route-context';

/**
 * Login with Webex's published layout: the discovery document under the API base, the signing
 * keys at /v1/verification and UserInfo at /v1/userinfo (the id_token itself comes with the code,
 * from /v1/access_token).
 */
export function oidcRoutes(ctx: RouteContext): Router {
  const router = Router();
  router.get(
    '/v1/.well-known/openid-configuration',
    ...routeFront(ctx, 'openid-configuration', 'rest'),
    (_req, res) => {
      res.json(ctx.oidc.discovery(ctx.origin()));
    },
  );
  router.get('/v1/verification', ...routeFront(ctx, 'verification', 'rest'), (_req, res) => {
    res.json(ctx.oidc.jwks());
  });
  router.get('/v1/userinfo', ...routeFront(ctx, 'userinfo', 'rest'), requireScope(ctx, 'openid'), (_req, res) => {
    res.set('Cache-Control', 'no-store').json(claimsOf(callerOf(res), (res.locals.grant as Grant).scopes));
  });
  return router;
}

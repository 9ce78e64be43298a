import express, { type Request, Router } from 'express';
import type { EmulatorControls, EmulatorRoute, FaultSpec, TokenErrorShape } from './emulator.types';
import { EmulatorInputError } from './emulator.types';

type Body = Record<string, unknown>;

function bodyOf(req: Request): Body {
  const body: unknown = req.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new EmulatorInputError('The body must be a JSON object.');
  }
  return body as Body;
}

function optionalHandle(body: Body): { handle?: string } {
  if (body.handle === undefined || body.handle === null) return {};
  if (typeof body.handle !== 'string') throw new EmulatorInputError('handle must be a string.');
  return { handle: body.handle };
}

const OK = { ok: true } as const;

/**
 * /_emulator/*: the controls over HTTP, for tests and services in another process. Mounted only
 * with testControls, so a sandbox open to a browser cannot be steered. Values are checked by the
 * controls themselves; these routes only unwrap JSON.
 */
export function controlsRoutes(controls: EmulatorControls): Router {
  const router = Router();
  router.use(express.json({ limit: '16kb' }));
  router.post('/reset', (_req, res) => {
    controls.reset();
    res.json(OK);
  });
  router.post('/faults', (req, res) => {
    controls.injectFault(bodyOf(req) as unknown as FaultSpec);
    res.json(OK);
  });
  router.delete('/faults', (_req, res) => {
    controls.clearFaults();
    res.json(OK);
  });
  router.post('/latency', (req, res) => {
    const body = bodyOf(req);
    controls.setLatency(body.ms as number, (body.route ?? undefined) as EmulatorRoute | undefined);
    res.json(OK);
  });
  router.post('/token-lifetimes', (req, res) => {
    const body = bodyOf(req);
    controls.setTokenLifetimes({
      accessTokenSeconds: (body.accessTokenSeconds ?? undefined) as number | undefined,
      refreshTokenSeconds: (body.refreshTokenSeconds ?? undefined) as number | undefined,
    });
    res.json(OK);
  });
  router.post('/rotate-refresh-tokens', (req, res) => {
    controls.setRotateRefreshTokens(bodyOf(req).enabled as boolean);
    res.json(OK);
  });
  router.post('/token-error-shape', (req, res) => {
    controls.setTokenErrorShape(bodyOf(req).shape as TokenErrorShape);
    res.json(OK);
  });
  router.post('/expire-access-tokens', (req, res) => {
    res.json({ count: controls.expireAccessTokens(optionalHandle(bodyOf(req))) });
  });
  router.post('/revoke-tokens', (req, res) => {
    res.json({ count: controls.revokeTokens(optionalHandle(bodyOf(req))) });
  });
  router.post('/rotate-signing-keys', (_req, res) => {
    controls.rotateSigningKeys();
    res.json(OK);
  });
  router.post('/id-token-fault', (req, res) => {
    controls.setIdTokenFault((bodyOf(req).fault ?? undefined) as string | undefined);
    res.json(OK);
  });
  router.get('/stats', (_req, res) => {
    res.json(controls.stats());
  });
  router.post('/tokens', (req, res) => {
    const body = bodyOf(req);
    const scopes = body.scopes ?? undefined;
    if (typeof body.handle !== 'string' || typeof body.clientId !== 'string') {
      throw new EmulatorInputError('handle and clientId must be strings.');
    }
    res.json(controls.issueTokens(body.handle, body.clientId, scopes as string[] | undefined));
  });
  return router;
}

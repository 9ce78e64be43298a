import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Router } from 'express';
import { apiRoutes } from './api.routes';
import { controlsRoutes } from './controls.routes';
import { EmulatorInputError, type ObservedRequest } from './emulator.types';
import { oauthRoutes } from './oauth.routes';
import { oidcRoutes } from './oidc.routes';
import type { RouteContext } from './route-context';
import {
  EmulatorHttpError,
  NOT_FOUND_MESSAGE,
  describeRequest,
  locals,
  newTrackingId,
  sendError,
} from './webex-responses';

/** body-parser and Express errors carry a 4xx status that is safe to pass on. */
function clientErrorStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function errorHandler(log: (line: string) => void): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    if (error instanceof EmulatorHttpError) {
      sendError(res, error.status, error.message, { oauthError: error.oauthError });
    } else if (error instanceof EmulatorInputError) {
      sendError(res, 400, error.message);
    } else if (clientErrorStatus(error) !== undefined) {
      const status = clientErrorStatus(error) as number;
      sendError(res, status, status === 413 ? 'The request body is too large.' : 'The request could not be parsed.');
    } else {
      log(
        `unexpected error on ${describeRequest(req)} (${locals(res).trackingId}): ${(error as Error)?.message ?? String(error)}`,
      );
      sendError(res, 500, 'Internal error in the Webex emulator.');
    }
  };
}

/** Tells the observer of each request once it is answered; see EmulatorOptions.onRequest. */
function observeRequests(onRequest: (request: ObservedRequest) => void): RequestHandler {
  return (req, res, next) => {
    const target = req.originalUrl;
    const mark = target.indexOf('?');
    // 'close' follows 'finish', and also comes for an answer that was never finished (a hung route).
    res.on('close', () => {
      const link = res.getHeader('link');
      onRequest({
        method: req.method,
        path: mark < 0 ? target : target.slice(0, mark),
        query: mark < 0 ? '' : target.slice(mark + 1),
        status: res.statusCode,
        link: typeof link === 'string' ? link : undefined,
      });
    });
    next();
  };
}

/** Builds a group of routes; building registers their names and scopes in ctx.routes. */
export type RoutesFactory = (ctx: RouteContext) => Router;

/**
 * The emulator's app: tracking ids, Webex's routes, the controls, then 404 and the error answers.
 * `routers` is a seam for the machinery's own specs, which mount made-up endpoints in the same frame.
 */
export function createEmulatorApp(
  ctx: RouteContext,
  routers: readonly RoutesFactory[] = [oauthRoutes, oidcRoutes, apiRoutes],
): Express {
  const app = express();
  app.disable('x-powered-by');
  // ETags would cost a hash of every body; Webex clients do not revalidate.
  app.set('etag', false);
  if (ctx.settings.onRequest) app.use(observeRequests(ctx.settings.onRequest));
  app.use((_req, res, next) => {
    const trackingId = newTrackingId();
    Object.assign(res.locals, { trackingId, shape: 'rest' });
    res.setHeader('trackingid', trackingId);
    next();
  });
  for (const routes of routers) app.use(routes(ctx));
  if (ctx.settings.testControls) app.use('/_emulator', controlsRoutes(ctx.controls));
  app.use((_req, res) => sendError(res, 404, NOT_FOUND_MESSAGE));
  app.use(errorHandler(ctx.settings.log));
  return app;
}

import type { RequestHandler } from 'express';
import type { EmulatorSettings } from './emulator-options';
import type { EmulatorState } from './emulator-state';
import type { EmulatorStatsCounter } from './emulator-stats';
import type { EmulatorControls, EmulatorRoute } from './emulator.types';
import { faultGate, type DelayedResponses, type FaultBoard } from './faults';
import type { OidcProvider } from './oidc-provider';
import type { RouteRegistry } from './route-registry';
import { locals, type ErrorShape } from './webex-responses';

/** What the routers share: one emulator's state, settings and instruments. */
export interface RouteContext {
  settings: EmulatorSettings;
  state: EmulatorState;
  /** Filled as the routers are built: the names faults, latency and stats accept. */
  routes: RouteRegistry;
  faults: FaultBoard;
  delays: DelayedResponses;
  stats: EmulatorStatsCounter;
  controls: EmulatorControls;
  /** Login with Webex: signing keys, id_tokens, the discovery document. */
  oidc: OidcProvider;
  /** The bound origin, known only once the server listens. */
  origin: () => string;
}

/**
 * Registers the route's name (for faults, latency and stats) now, while the router is built; then
 * marks each request as that route (error shape, request count). `token` words errors as set now.
 */
export function enterRoute(ctx: RouteContext, route: EmulatorRoute, shape: ErrorShape | 'token'): RequestHandler {
  ctx.routes.add(route);
  return (_req, res, next) => {
    locals(res).shape = shape === 'token' ? ctx.state.tokenErrorShape : shape;
    ctx.stats.countRequest(route);
    next();
  };
}

/** The usual front of a route: name and count it, then let faults and latency have their say. */
export function routeFront(ctx: RouteContext, route: EmulatorRoute, shape: ErrorShape | 'token'): RequestHandler[] {
  return [enterRoute(ctx, route, shape), faultGate(route, ctx.faults, ctx.delays)];
}

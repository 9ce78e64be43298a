import type { EmulatorRoute, EmulatorStats } from './emulator.types';
import type { RouteRegistry } from './route-registry';

/** Plain counters: bumping them is the only per-request bookkeeping the emulator does. */
export class EmulatorStatsCounter {
  connections = 0;
  tokenGrants = { authorization_code: 0, refresh_token: 0 };
  private requests = new Map<EmulatorRoute, number>();

  constructor(private readonly routes: RouteRegistry) {}

  countRequest(route: EmulatorRoute): void {
    this.requests.set(route, (this.requests.get(route) ?? 0) + 1);
  }

  reset(): void {
    this.connections = 0;
    this.requests = new Map();
    this.tokenGrants = { authorization_code: 0, refresh_token: 0 };
  }

  /** Every registered route is listed, 0 until it is hit. */
  snapshot(): EmulatorStats {
    return {
      connections: this.connections,
      requests: Object.fromEntries(this.routes.names().map((route) => [route, this.requests.get(route) ?? 0])),
      tokenGrants: { ...this.tokenGrants },
    };
  }
}

import type { EmulatorRoute, EmulatorStats } from './emulator.types';

/** Plain counters: bumping them is the only per-request bookkeeping the emulator does. */
export class EmulatorStatsCounter {
  connections = 0;
  requests: Record<EmulatorRoute, number> = emptyRequests();
  tokenGrants = { authorization_code: 0, refresh_token: 0 };

  reset(): void {
    this.connections = 0;
    this.requests = emptyRequests();
    this.tokenGrants = { authorization_code: 0, refresh_token: 0 };
  }

  snapshot(): EmulatorStats {
    return { connections: this.connections, requests: { ...this.requests }, tokenGrants: { ...this.tokenGrants } };
  }
}

function emptyRequests(): Record<EmulatorRoute, number> {
  return { authorize: 0, token: 0, 'people/me': 0, rooms: 0 };
}

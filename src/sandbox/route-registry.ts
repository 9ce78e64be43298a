import { EmulatorInputError, type EmulatorRoute } from './emulator.types';

/**
 * The names the emulator's routes go by in faults, latency and stats, and the scopes they check.
 * Routes add themselves as the routers are built (`routeFront`, `requireScope`), so a new endpoint
 * is known everywhere without a list to keep in step.
 */
export class RouteRegistry {
  private readonly routes = new Set<EmulatorRoute>();
  private readonly checkedScopes = new Set<string>();

  /** Idempotent: one name may front several handlers (GET and POST /v1/authorize). */
  add(route: EmulatorRoute): void {
    if (typeof route !== 'string' || route === '') throw new Error('A route needs a name.');
    this.routes.add(route);
  }

  addScope(scope: string): void {
    this.checkedScopes.add(scope);
  }

  /** In the order the routers registered them. */
  names(): readonly EmulatorRoute[] {
    return [...this.routes];
  }

  scopes(): readonly string[] {
    return [...this.checkedScopes].sort();
  }

  /** A control's route argument, refused with the names it could have been. */
  check(value: unknown, name = 'route'): EmulatorRoute {
    if (typeof value !== 'string' || !this.routes.has(value)) {
      throw new EmulatorInputError(`${name} must be one of: ${this.names().join(', ')}.`);
    }
    return value;
  }
}

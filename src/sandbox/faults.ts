import { STATUS_CODES } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { checkInteger } from './emulator-options';
import { EmulatorInputError, type EmulatorRoute, type FaultSpec } from './emulator.types';
import { outagePage } from './consent-page';
import type { RouteRegistry } from './route-registry';
import { locals, sendError } from './webex-responses';

type FaultKind = FaultSpec['kind'];
type GrantType = NonNullable<FaultSpec['grantType']>;

/** A fault with its defaults filled in and a countdown of the requests it still affects. */
interface QueuedFault {
  route: EmulatorRoute;
  kind: FaultKind;
  status: number;
  retryAfterSeconds?: number;
  delayMs: number;
  grantType?: GrantType;
  remaining: number;
}

const FAULT_KINDS: readonly FaultKind[] = ['status', 'rate-limit', 'slow', 'hang', 'reset', 'non-json'];
const GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token'];
const FAULT_KEYS = new Set(['route', 'kind', 'status', 'retryAfterSeconds', 'delayMs', 'times', 'grantType']);
const MAX_DELAY_MS = 600_000;

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new EmulatorInputError(`${name} must be one of: ${allowed.join(', ')}.`);
  }
  return value as T;
}

/** JSON has no Infinity, so -1 (and null or absent = 1) are accepted from both the API and HTTP. */
function checkTimes(times: unknown): number {
  if (times === undefined || times === null) return 1;
  if (times === -1 || times === Infinity) return Infinity;
  return checkInteger(times, 'times', 1, Number.MAX_SAFE_INTEGER);
}

function checkFault(input: unknown, routes: RouteRegistry): QueuedFault {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new EmulatorInputError('A fault must be an object.');
  }
  // JSON clients send null for "not set"; treat it like an absent field.
  const spec = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null && value !== undefined));
  const unknownKey = Object.keys(spec).find((key) => !FAULT_KEYS.has(key));
  if (unknownKey !== undefined) throw new EmulatorInputError(`Unknown fault field: ${unknownKey.slice(0, 40)}.`);
  const route = routes.check(spec.route);
  const grantType = spec.grantType === undefined ? undefined : oneOf(spec.grantType, GRANT_TYPES, 'grantType');
  if (grantType !== undefined && route !== 'token') {
    throw new EmulatorInputError('grantType applies to the token route only.');
  }
  return {
    route,
    kind: oneOf(spec.kind, FAULT_KINDS, 'kind'),
    status: spec.status === undefined ? 500 : checkInteger(spec.status, 'status', 400, 599),
    retryAfterSeconds:
      spec.retryAfterSeconds === undefined
        ? undefined
        : checkInteger(spec.retryAfterSeconds, 'retryAfterSeconds', 0, 86_400),
    delayMs: spec.delayMs === undefined ? 2000 : checkInteger(spec.delayMs, 'delayMs', 0, MAX_DELAY_MS),
    grantType,
    remaining: checkTimes(spec.times),
  };
}

function describeFault(fault: QueuedFault): string {
  const times = fault.remaining === Infinity ? 'until cleared' : `x${fault.remaining}`;
  const detail = fault.kind === 'status' ? ` ${fault.status}` : '';
  return `${fault.route}${fault.grantType ? ` (${fault.grantType})` : ''}: ${fault.kind}${detail} ${times}`;
}

/** Queued faults and added latency, per route. */
export class FaultBoard {
  private faults: QueuedFault[] = [];
  /** Latency set for one route; the others have `allRoutesMs`. */
  private readonly latencyMs = new Map<EmulatorRoute, number>();
  private allRoutesMs = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly routes: RouteRegistry,
  ) {}

  inject(spec: FaultSpec): void {
    const fault = checkFault(spec, this.routes);
    this.faults.push(fault);
    this.log(`fault queued: ${describeFault(fault)}`);
  }

  clear(): void {
    this.faults = [];
  }

  setLatency(ms: number, route?: EmulatorRoute): void {
    const checked = checkInteger(ms, 'ms', 0, MAX_DELAY_MS);
    if (route === undefined) {
      this.latencyMs.clear();
      this.allRoutesMs = checked;
    } else {
      this.latencyMs.set(this.routes.check(route), checked);
    }
  }

  latency(route: EmulatorRoute): number {
    return this.latencyMs.get(route) ?? this.allRoutesMs;
  }

  reset(): void {
    this.clear();
    this.setLatency(0);
  }

  /** The first queued fault matching this request, counted down; undefined when none applies. */
  take(route: EmulatorRoute, grantType: string | undefined): QueuedFault | undefined {
    if (this.faults.length === 0) return undefined;
    const index = this.faults.findIndex(
      (f) => f.route === route && (f.grantType === undefined || f.grantType === grantType),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index];
    if (--fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

/** Timers of delayed answers, so close() can cancel them instead of leaving them to fire. */
export class DelayedResponses {
  private readonly timers = new Set<NodeJS.Timeout>();

  after(ms: number, res: Response, run: () => void): void {
    const cancel = (): void => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      res.off('close', cancel);
      run();
    }, ms);
    this.timers.add(timer);
    // The client gave up: nobody is left to answer.
    res.once('close', cancel);
  }

  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

function answerFault(fault: QueuedFault, req: Request, res: Response): void {
  switch (fault.kind) {
    case 'status':
      sendError(res, fault.status, `${STATUS_CODES[fault.status] ?? 'Error'} (emulated fault).`, {
        retryAfterSeconds: fault.retryAfterSeconds,
      });
      return;
    case 'rate-limit': {
      const retryAfterSeconds = fault.retryAfterSeconds ?? 1;
      sendError(res, 429, `Too many requests, retry after ${retryAfterSeconds} s (emulated fault).`, {
        retryAfterSeconds,
      });
      return;
    }
    case 'non-json':
      res
        .status(200)
        .type('html')
        .send(outagePage(locals(res).trackingId));
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case 'hang':
    case 'slow':
      // 'hang' never answers: the socket stays open until the client gives up or close() ends it.
      return;
  }
}

export function grantTypeOf(body: unknown): string | undefined {
  const grantType = body && typeof body === 'object' ? (body as Record<string, unknown>).grant_type : undefined;
  return typeof grantType === 'string' ? grantType : undefined;
}

/** Applies a queued fault or the route's latency before the real handler runs. */
export function faultGate(route: EmulatorRoute, board: FaultBoard, delays: DelayedResponses): RequestHandler {
  return (req, res, next) => {
    const fault = board.take(route, route === 'token' ? grantTypeOf(req.body) : undefined);
    const delay = board.latency(route) + (fault?.kind === 'slow' ? fault.delayMs : 0);
    const proceed = (): void => (fault && fault.kind !== 'slow' ? answerFault(fault, req, res) : next());
    if (delay > 0) delays.after(delay, res, proceed);
    else proceed();
  };
}

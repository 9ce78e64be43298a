import { EmulatorInputError, type EmulatorClient, type EmulatorOptions, type TokenErrorShape } from './emulator.types';
import { findSeedUser, type SeedUserHandle } from './seed-data';

export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 43_200;
export const DEFAULT_REFRESH_TOKEN_TTL_SECONDS = 5_184_000;
export const DEFAULT_AUTH_CODE_TTL_SECONDS = 300;
const TEN_YEARS_SECONDS = 315_360_000;

/** The options with every default filled in, checked once at start. */
export interface EmulatorSettings {
  host: string;
  port: number;
  clients: ReadonlyMap<string, EmulatorClient>;
  testControls: boolean;
  requirePkce: boolean;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  authCodeTtlSeconds: number;
  rotateRefreshTokens: boolean;
  tokenErrorShape: TokenErrorShape;
  autoConsentUser?: SeedUserHandle;
  stateFile?: string;
  log: (line: string) => void;
  onRequest?: EmulatorOptions['onRequest'];
}

export function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new EmulatorInputError(`${name} must be an integer from ${min} to ${max}.`);
  }
  return value;
}

/** Lifetimes may be 0, so a test can mint tokens that are born expired. */
export function checkLifetime(value: unknown, name: string): number {
  return checkInteger(value, name, 0, TEN_YEARS_SECONDS);
}

export function checkTokenErrorShape(value: unknown, name = 'shape'): TokenErrorShape {
  if (value !== 'rest' && value !== 'oauth') throw new EmulatorInputError(`${name} must be rest or oauth.`);
  return value;
}

export function checkSeedHandle(value: unknown, name = 'handle'): SeedUserHandle {
  const user = typeof value === 'string' ? findSeedUser(value) : undefined;
  if (!user) throw new EmulatorInputError(`${name} must be one of the seeded users' handles.`);
  return user.handle;
}

function isAbsoluteHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hash === '';
  } catch {
    return false;
  }
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function checkClient(client: unknown, index: number): EmulatorClient {
  const c = (client ?? {}) as Partial<EmulatorClient>;
  const where = `clients[${index}]`;
  if (!isNonEmptyString(c.clientId)) throw new EmulatorInputError(`${where}.clientId must be a non-empty string.`);
  if (!isNonEmptyString(c.clientSecret)) {
    throw new EmulatorInputError(`${where}.clientSecret must be a non-empty string.`);
  }
  if (
    !Array.isArray(c.redirectUris) ||
    c.redirectUris.length === 0 ||
    !c.redirectUris.every((uri) => typeof uri === 'string' && isAbsoluteHttpUrl(uri))
  ) {
    throw new EmulatorInputError(`${where}.redirectUris must be absolute http(s) URLs without a fragment.`);
  }
  if (
    !Array.isArray(c.scopes) ||
    c.scopes.length === 0 ||
    !c.scopes.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))
  ) {
    throw new EmulatorInputError(`${where}.scopes must be non-empty scope tokens (RFC 6749 §3.3).`);
  }
  return {
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    redirectUris: [...c.redirectUris],
    scopes: [...c.scopes],
  };
}

export function resolveOptions(options: EmulatorOptions): EmulatorSettings {
  if (!Array.isArray(options?.clients)) throw new EmulatorInputError('clients must be an array.');
  const clients = new Map<string, EmulatorClient>();
  options.clients.forEach((client, i) => {
    const checked = checkClient(client, i);
    if (clients.has(checked.clientId)) throw new EmulatorInputError(`clients[${i}].clientId is registered twice.`);
    clients.set(checked.clientId, checked);
  });
  return {
    host: options.host ?? '127.0.0.1',
    port: checkInteger(options.port ?? 0, 'port', 0, 65_535),
    clients,
    testControls: options.testControls ?? false,
    requirePkce: options.requirePkce ?? false,
    accessTokenTtlSeconds: checkLifetime(
      options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
      'accessTokenTtlSeconds',
    ),
    refreshTokenTtlSeconds: checkLifetime(
      options.refreshTokenTtlSeconds ?? DEFAULT_REFRESH_TOKEN_TTL_SECONDS,
      'refreshTokenTtlSeconds',
    ),
    authCodeTtlSeconds: checkInteger(
      options.authCodeTtlSeconds ?? DEFAULT_AUTH_CODE_TTL_SECONDS,
      'authCodeTtlSeconds',
      1,
      86_400,
    ),
    rotateRefreshTokens: options.rotateRefreshTokens ?? false,
    tokenErrorShape: checkTokenErrorShape(options.tokenErrorShape ?? 'rest', 'tokenErrorShape'),
    autoConsentUser:
      options.autoConsentUser === undefined ? undefined : checkSeedHandle(options.autoConsentUser, 'autoConsentUser'),
    stateFile: options.stateFile,
    log: options.log ?? (() => undefined),
    onRequest: options.onRequest,
  };
}

/** A filter for controls that take an optional handle: undefined means every user. */
export function handleFilter(handle: unknown): (candidate: SeedUserHandle) => boolean {
  if (handle === undefined) return () => true;
  const wanted = checkSeedHandle(handle);
  return (candidate) => candidate === wanted;
}

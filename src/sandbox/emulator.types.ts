/**
 * How the token endpoint words its refusals. Webex has been seen answering a dead refresh token
 * in its REST shape (`message`, `errors[].description`, `trackingId`) with no OAuth `error` field,
 * so that is the default; `oauth` is RFC 6749 §5.2 (`error`, `error_description`).
 */
export type TokenErrorShape = 'rest' | 'oauth';

/**
 * A route's name in faults, latency and stats, e.g. 'authorize', 'token', 'people/me', 'rooms'.
 * The names are those the emulator's routes registered (stats lists them all); an unknown one is
 * an EmulatorInputError that names the known ones.
 */
export type EmulatorRoute = string;

export interface EmulatorClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  scopes: string[];
}

export interface EmulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Registered integrations. */
  clients: EmulatorClient[];
  /** Default false. When true, mounts the /_emulator/* HTTP control routes; when false they are 404. */
  testControls?: boolean;
  /** Default false (Webex supports but does not require PKCE). */
  requirePkce?: boolean;
  /** Default 43200 (12 h). */
  accessTokenTtlSeconds?: number;
  /** Default 5184000 (60 days). */
  refreshTokenTtlSeconds?: number;
  /** Default 300. */
  authCodeTtlSeconds?: number;
  /** Default false. When true, each refresh_token grant issues a new refresh token and invalidates the old one. */
  rotateRefreshTokens?: boolean;
  /** Default 'rest', as Webex answers; 'oauth' for RFC 6749 bodies. */
  tokenErrorShape?: TokenErrorShape;
  /** A seeded user's handle: GET /v1/authorize skips the consent page and redirects at once with a code. */
  autoConsentUser?: string;
  /**
   * Development: keep consents, codes and tokens in this JSON file, loaded at start and saved
   * shortly after each request and at close, so a restarted sandbox keeps its signed-in users.
   */
  stateFile?: string;
  /** Notable events only (start, faults), never per request; never tokens, secrets or codes. */
  log?: (line: string) => void;
  /**
   * For tests: told of each request once it is answered, e.g. to check what a client sent against
   * Webex's OpenAPI description. It gets no headers or bodies, so never a token.
   */
  onRequest?: (request: ObservedRequest) => void;
}

/** A request as the onRequest observer sees it. */
export interface ObservedRequest {
  method: string;
  /** As requested, e.g. /v1/rooms. */
  path: string;
  /** The raw query string without its '?'; '' when there is none. */
  query: string;
  status: number;
  /** The Link header of the answer, if it had one. */
  link?: string;
}

export interface SeedUserSummary {
  handle: string;
  id: string;
  displayName: string;
  email: string;
  roomCount: number;
}

export interface FaultSpec {
  route: EmulatorRoute;
  kind: 'status' | 'rate-limit' | 'slow' | 'hang' | 'reset' | 'non-json';
  /** 'status': the HTTP status to answer (default 500). */
  status?: number;
  /** 'rate-limit': Retry-After value (default 1); also sent with 'status' when given. */
  retryAfterSeconds?: number;
  /** 'slow': answer normally after this delay (default 2000). */
  delayMs?: number;
  /** How many matching requests it affects, default 1; Infinity = until cleared. */
  times?: number;
  /** Token route only: only requests with this grant_type. */
  grantType?: 'authorization_code' | 'refresh_token';
}

export interface EmulatorStats {
  /** TCP connections accepted since start or reset. */
  connections: number;
  /** Requests per route since start or reset: every route the emulator has, 0 until hit. */
  requests: Record<EmulatorRoute, number>;
  /** Token requests per grant, counted even when they fail. */
  tokenGrants: { authorization_code: number; refresh_token: number };
}

export interface IssuedTokens {
  access_token: string;
  /** With the `openid` scope, from the authorization code (OpenID Connect Core 3.1.3.3). */
  id_token?: string;
  expires_in: number;
  refresh_token: string;
  refresh_token_expires_in: number;
  token_type: 'Bearer';
}

export interface EmulatorControls {
  /** Clears faults, latency and stats; lifetimes, rotation and token error shape back to the options; keeps users and issued tokens. */
  reset(): void;
  /** For tokens issued afterwards. */
  setTokenLifetimes(l: { accessTokenSeconds?: number; refreshTokenSeconds?: number }): void;
  setRotateRefreshTokens(on: boolean): void;
  /** The body of token endpoint errors from now on. */
  setTokenErrorShape(shape: TokenErrorShape): void;
  /** Marks existing access tokens expired (→ 401); returns how many. */
  expireAccessTokens(filter?: { handle?: string }): number;
  /** Revokes access and refresh tokens (→ 401 / invalid_grant); returns how many. */
  revokeTokens(filter?: { handle?: string }): number;
  /** Added delay before answering; route omitted = every route; 0 clears. */
  setLatency(ms: number, route?: EmulatorRoute): void;
  /** Several may be queued; the first matching one applies. */
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  stats(): EmulatorStats;
  /** Tokens without the browser dance (scopes default: the client's scopes). */
  issueTokens(handle: string, clientId: string, scopes?: string[]): IssuedTokens;
  /** Signs id_tokens with a new key from now on; the previous key stays published at /v1/verification. */
  rotateSigningKeys(): void;
  /** The next id_tokens are bad in this way (one of ID_TOKEN_FAULTS), until cleared (undefined) or reset. */
  setIdTokenFault(fault: string | undefined): void;
}

export interface WebexEmulator {
  /** Actual bound origin, e.g. http://127.0.0.1:40123. */
  readonly origin: string;
  /** origin + '/v1'. */
  readonly apiBaseUrl: string;
  readonly port: number;
  readonly users: readonly SeedUserSummary[];
  /** The scopes the emulator's API routes check, sorted: what a token needs to reach all of them. */
  readonly scopes: readonly string[];
  readonly controls: EmulatorControls;
  /** Also ends hung and keep-alive sockets, so it resolves promptly. */
  close(): Promise<void>;
}

/** Thrown for bad options or control inputs; the control routes answer it with 400. */
export class EmulatorInputError extends Error {
  override readonly name = 'EmulatorInputError';
}

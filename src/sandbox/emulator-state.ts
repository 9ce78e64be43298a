import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { checkLifetime, checkTokenErrorShape, handleFilter, type EmulatorSettings } from './emulator-options';
import { EmulatorInputError, type EmulatorClient, type IssuedTokens, type TokenErrorShape } from './emulator.types';
import { ExpiringStore } from './expiring-store';
import type { SeedUserHandle } from './seed-data';
import { EmulatorHttpError } from './webex-responses';

/** What a client asked for at /v1/authorize, kept until the code is redeemed. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  state?: string;
  codeChallenge?: string;
  /** OpenID Connect: echoed in the id_token the code buys. */
  nonce?: string;
}

/** Who a token speaks for. `grantId` ties every token minted from one code together. */
export interface Grant {
  handle: SeedUserHandle;
  clientId: string;
  scopes: readonly string[];
  grantId: string;
}

interface TokenRecord extends Grant {
  expiresAt: number;
  revoked: boolean;
}

interface CodeRecord {
  request: AuthorizationRequest;
  handle: SeedUserHandle;
  grantId: string;
  expiresAt: number;
  used: boolean;
}

interface ConsentRecord {
  request: AuthorizationRequest;
  expiresAt: number;
}

export interface EmulatorSnapshot {
  consents: [string, ConsentRecord][];
  codes: [string, CodeRecord][];
  accessTokens: [string, TokenRecord][];
  refreshTokens: [string, TokenRecord][];
}

const CONSENT_TTL_MS = 10 * 60_000;
const SWEEP_INTERVAL_MS = 60_000;
const MAX_TOKENS = 200_000;
const MAX_PENDING = 50_000;
// RFC 7636 §4.1: 43-128 unreserved characters.
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

function isLive(record: TokenRecord, now: number): boolean {
  return !record.revoked && record.expiresAt > now;
}

function invalidGrant(description: string): EmulatorHttpError {
  return new EmulatorHttpError(400, description, 'invalid_grant');
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Users' grants: consent transactions, authorization codes, access and refresh tokens. */
export class EmulatorState {
  private readonly consents = new ExpiringStore<ConsentRecord>(MAX_PENDING);
  private readonly codes = new ExpiringStore<CodeRecord>(MAX_PENDING);
  private readonly accessTokens = new ExpiringStore<TokenRecord>(MAX_TOKENS, (r, now) => !isLive(r, now));
  private readonly refreshTokens = new ExpiringStore<TokenRecord>(MAX_TOKENS, (r, now) => !isLive(r, now));
  private readonly sweeper: NodeJS.Timeout;
  private accessTtl: number;
  private refreshTtl: number;
  private rotate: boolean;
  tokenErrorShape: TokenErrorShape;

  constructor(private readonly settings: EmulatorSettings) {
    this.resetSettings();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
  }

  resetSettings(): void {
    this.accessTtl = this.settings.accessTokenTtlSeconds;
    this.refreshTtl = this.settings.refreshTokenTtlSeconds;
    this.rotate = this.settings.rotateRefreshTokens;
    this.tokenErrorShape = this.settings.tokenErrorShape;
  }

  setTokenErrorShape(shape: TokenErrorShape): void {
    this.tokenErrorShape = checkTokenErrorShape(shape);
  }

  setTokenLifetimes(lifetimes: { accessTokenSeconds?: number; refreshTokenSeconds?: number }): void {
    const access = lifetimes?.accessTokenSeconds;
    const refresh = lifetimes?.refreshTokenSeconds;
    // Check both before changing either, so a bad call changes nothing.
    const nextAccess = access === undefined ? this.accessTtl : checkLifetime(access, 'accessTokenSeconds');
    const nextRefresh = refresh === undefined ? this.refreshTtl : checkLifetime(refresh, 'refreshTokenSeconds');
    this.accessTtl = nextAccess;
    this.refreshTtl = nextRefresh;
  }

  setRotateRefreshTokens(on: boolean): void {
    if (typeof on !== 'boolean') throw new EmulatorInputError('enabled must be a boolean.');
    this.rotate = on;
  }

  client(clientId: string): EmulatorClient | undefined {
    return this.settings.clients.get(clientId);
  }

  /** Checks a client secret in constant time; undefined when the client is unknown or the secret wrong. */
  authenticateClient(clientId: string, secret: string): EmulatorClient | undefined {
    const client = this.settings.clients.get(clientId);
    if (!client) return undefined;
    return timingSafeEqual(sha256(secret), sha256(client.clientSecret)) ? client : undefined;
  }

  beginConsent(request: AuthorizationRequest): string {
    const tx = randomToken(16);
    this.consents.set(tx, { request, expiresAt: Date.now() + CONSENT_TTL_MS });
    return tx;
  }

  /** Single use: a transaction is gone after the first POST, whatever its outcome. */
  takeConsent(tx: string): AuthorizationRequest | undefined {
    const record = this.consents.get(tx);
    if (!record) return undefined;
    this.consents.delete(tx);
    return record.expiresAt > Date.now() ? record.request : undefined;
  }

  issueCode(request: AuthorizationRequest, handle: SeedUserHandle): string {
    const code = randomToken(32);
    this.codes.set(code, {
      request,
      handle,
      grantId: randomUUID(),
      expiresAt: Date.now() + this.settings.authCodeTtlSeconds * 1000,
      used: false,
    });
    return code;
  }

  /** The tokens a code buys, with the grant and the nonce behind it (for the id_token). */
  redeemCode(
    client: EmulatorClient,
    code: string,
    redirectUri: string,
    verifier: string | undefined,
  ): { tokens: IssuedTokens; grant: Grant; nonce?: string } {
    const record = this.codes.get(code);
    if (!record || record.expiresAt <= Date.now()) {
      throw invalidGrant('The authorization code is invalid or has expired.');
    }
    if (record.used) {
      // RFC 6749 §4.1.2: a replayed code may mean it leaked, so what it bought is withdrawn.
      this.revokeWhere((r) => r.grantId === record.grantId);
      throw invalidGrant('The authorization code has already been used.');
    }
    record.used = true;
    const { request } = record;
    if (request.clientId !== client.clientId) {
      throw invalidGrant('The authorization code was issued to another client.');
    }
    if (redirectUri !== request.redirectUri) {
      throw invalidGrant('redirect_uri does not match the one in the authorization request.');
    }
    checkPkce(request.codeChallenge, verifier);
    const grant: Grant = {
      handle: record.handle,
      clientId: client.clientId,
      scopes: request.scopes,
      grantId: record.grantId,
    };
    return { tokens: this.issue(grant), grant, nonce: request.nonce };
  }

  refresh(client: EmulatorClient, refreshToken: string): IssuedTokens {
    const now = Date.now();
    const record = this.refreshTokens.get(refreshToken);
    if (!record || !isLive(record, now))
      throw invalidGrant('The refresh token provided is expired, revoked, malformed, or invalid.');
    if (record.clientId !== client.clientId) throw invalidGrant('The refresh token was issued to another client.');
    const grant: Grant = {
      handle: record.handle,
      clientId: record.clientId,
      scopes: record.scopes,
      grantId: record.grantId,
    };
    if (this.rotate) {
      record.revoked = true;
      return this.issue(grant);
    }
    return {
      ...this.issueAccessToken(grant, now),
      refresh_token: refreshToken,
      refresh_token_expires_in: Math.max(0, Math.floor((record.expiresAt - now) / 1000)),
      token_type: 'Bearer',
    };
  }

  issueTokens(handle: SeedUserHandle, clientId: string, scopes?: readonly string[]): IssuedTokens {
    const client = this.settings.clients.get(clientId);
    if (!client) throw new EmulatorInputError('clientId is not a registered client.');
    // Checked at run time too: HTTP controls pass JSON straight through.
    const granted: unknown = scopes ?? client.scopes;
    if (!Array.isArray(granted) || !granted.every((s: unknown) => typeof s === 'string' && client.scopes.includes(s))) {
      throw new EmulatorInputError("scopes must be an array of the client's scopes.");
    }
    return this.issue({ handle, clientId, scopes: [...(granted as string[])], grantId: randomUUID() });
  }

  /** The grant behind a live access token, or undefined for unknown, expired and revoked tokens. */
  authenticate(accessToken: string): Grant | undefined {
    const record = this.accessTokens.get(accessToken);
    return record && isLive(record, Date.now()) ? record : undefined;
  }

  expireAccessTokens(handle?: string): number {
    const match = handleFilter(handle);
    const now = Date.now();
    let count = 0;
    for (const record of this.accessTokens.values()) {
      if (isLive(record, now) && match(record.handle)) {
        record.expiresAt = now;
        count++;
      }
    }
    return count;
  }

  revokeTokens(handle?: string): number {
    const match = handleFilter(handle);
    return this.revokeWhere((record) => match(record.handle));
  }

  sweep(): void {
    const now = Date.now();
    this.consents.sweep(now);
    this.codes.sweep(now);
    this.accessTokens.sweep(now);
    this.refreshTokens.sweep(now);
  }

  /** Consents, codes and tokens as plain data, to survive a restart in development. */
  snapshot(): EmulatorSnapshot {
    return {
      consents: this.consents.dump(),
      codes: this.codes.dump(),
      accessTokens: this.accessTokens.dump(),
      refreshTokens: this.refreshTokens.dump(),
    };
  }

  restore(snapshot: Partial<EmulatorSnapshot>): void {
    this.consents.load(snapshot.consents ?? []);
    this.codes.load(snapshot.codes ?? []);
    this.accessTokens.load(snapshot.accessTokens ?? []);
    this.refreshTokens.load(snapshot.refreshTokens ?? []);
  }

  dispose(): void {
    clearInterval(this.sweeper);
  }

  private issue(grant: Grant): IssuedTokens {
    const now = Date.now();
    const refreshToken = randomToken(32);
    this.refreshTokens.set(refreshToken, { ...grant, expiresAt: now + this.refreshTtl * 1000, revoked: false });
    return {
      ...this.issueAccessToken(grant, now),
      refresh_token: refreshToken,
      refresh_token_expires_in: this.refreshTtl,
      token_type: 'Bearer',
    };
  }

  private issueAccessToken(grant: Grant, now: number): { access_token: string; expires_in: number } {
    const accessToken = randomToken(32);
    this.accessTokens.set(accessToken, { ...grant, expiresAt: now + this.accessTtl * 1000, revoked: false });
    return { access_token: accessToken, expires_in: this.accessTtl };
  }

  private revokeWhere(match: (record: TokenRecord) => boolean): number {
    const now = Date.now();
    let count = 0;
    for (const store of [this.accessTokens, this.refreshTokens]) {
      for (const record of store.values()) {
        if (isLive(record, now) && match(record)) {
          record.revoked = true;
          count++;
        }
      }
    }
    return count;
  }
}

/** RFC 7636 §4.6, S256 only; and RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt. */
function checkPkce(challenge: string | undefined, verifier: string | undefined): void {
  if (challenge === undefined) {
    if (verifier !== undefined) {
      throw invalidGrant('code_verifier was sent but the authorization request had no code_challenge.');
    }
    return;
  }
  if (verifier === undefined || verifier === '') {
    throw invalidGrant('code_verifier is required for this authorization code.');
  }
  if (!CODE_VERIFIER.test(verifier) || sha256(verifier).toString('base64url') !== challenge) {
    throw invalidGrant('code_verifier does not match the code_challenge.');
  }
}

import {
  createRemoteJWKSet,
  customFetch,
  errors,
  jwtVerify,
  type FetchImplementation,
  type JWTPayload,
  type RemoteJWKSet,
} from 'jose';
import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** A cool-down up to this long is waited out for a key id not seen yet; a longer one refuses at once. */
const MAX_ROTATION_WAIT_MS = 5000;

/** The rule of OpenID Connect Core 3.1.3.7 that an id_token broke (said in the log, never the token). */
export type IdTokenCheck =
  | 'format'
  | 'algorithm'
  | 'key'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'authorized party'
  | 'expiry'
  | 'issued at'
  | 'not before'
  | 'nonce'
  | 'subject'
  | 'keys unavailable';

/** An id_token that was not accepted, and which check refused it. */
export class IdTokenRejected extends Error {
  constructor(
    readonly check: IdTokenCheck,
    /** For the operator's log: what was wrong, e.g. the issuer received. Never the token. */
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`id_token refused (${check}): ${detail}`, options);
    this.name = 'IdTokenRejected';
  }
}

/** What the service keeps of a verified id_token. */
export interface IdTokenClaims {
  sub: string;
  issuer: string;
  email?: string;
  emailVerified?: boolean;
  name?: string;
}

export interface IdTokenVerifierOptions {
  /** The discovery document's `jwks_uri`. */
  jwksUri: string;
  /** The discovery document's `issuer`, then any listed in WEBEX_OIDC_ISSUERS. */
  issuers: readonly string[];
  clientId: string;
  /** Slack for the clocks of Webex and this host, on `exp`, `iat` and `nbf`. */
  clockToleranceSeconds?: number;
  /** The oldest `iat` accepted: the token comes from the code exchange that just happened. */
  maxAgeSeconds?: number;
  /**
   * After the keys were fetched, an unknown `kid` fetches them again only once this has passed,
   * so a flood of tokens with made-up key ids cannot make the service hammer Webex: at most one
   * fetch per cool-down. A token whose key is new (a rotation) waits out a short cool-down and
   * is checked once more, so a rotation never refuses a sign-in.
   */
  refetchCooldownMs?: number;
  timeoutMs?: number;
  /** How the keys are fetched (the Webex client's pool and proxy); the platform's fetch otherwise. */
  fetch?: FetchImplementation;
}

/**
 * Verifies an id_token from the token endpoint with jose: RS256 only, a key from `jwks_uri`,
 * issuer, audience, authorized party, expiry, issue time, nonce and subject. Any failure is an
 * IdTokenRejected naming the check.
 */
export class IdTokenVerifier {
  private readonly keys: RemoteJWKSet;
  private readonly cooldownMs: number;

  constructor(private readonly options: IdTokenVerifierOptions) {
    this.cooldownMs = options.refetchCooldownMs ?? 2000;
    this.keys = createRemoteJWKSet(new URL(options.jwksUri), {
      cooldownDuration: this.cooldownMs,
      timeoutDuration: options.timeoutMs ?? 5000,
      ...(options.fetch ? { [customFetch]: options.fetch } : {}),
    });
  }

  async verify(idToken: string, nonce: string): Promise<IdTokenClaims> {
    let payload: JWTPayload;
    try {
      payload = await this.signedPayload(idToken);
    } catch (error) {
      const newKey =
        error instanceof errors.JWKSNoMatchingKey && this.keys.coolingDown && this.cooldownMs <= MAX_ROTATION_WAIT_MS;
      if (!newKey) throw rejection(error);
      // Keys fetched moments ago, and the token names one they lack: jose fetches again after this.
      await sleep(this.cooldownMs);
      try {
        payload = await this.signedPayload(idToken);
      } catch (again) {
        throw rejection(again);
      }
    }
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (payload.azp !== undefined ? payload.azp !== this.options.clientId : audiences.length > 1) {
      throw new IdTokenRejected(
        'authorized party',
        payload.azp === undefined ? 'several audiences and no azp' : `azp is ${JSON.stringify(payload.azp)}`,
      );
    }
    if (typeof payload.nonce !== 'string' || !sameText(payload.nonce, nonce)) {
      throw new IdTokenRejected('nonce', 'the nonce is not the one this sign-in sent');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new IdTokenRejected('subject', 'no subject');
    }
    return {
      sub: payload.sub,
      issuer: payload.iss as string,
      email: typeof payload.email === 'string' ? payload.email : undefined,
      emailVerified: typeof payload.email_verified === 'boolean' ? payload.email_verified : undefined,
      name: typeof payload.name === 'string' ? payload.name : undefined,
    };
  }

  /** The payload of a token that passes jose's checks: signature, algorithm and the registered claims. */
  private async signedPayload(idToken: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(idToken, this.keys, {
      algorithms: ['RS256'],
      issuer: [...this.options.issuers],
      audience: this.options.clientId,
      clockTolerance: this.options.clockToleranceSeconds ?? 60,
      maxTokenAge: this.options.maxAgeSeconds ?? 600,
      requiredClaims: ['sub', 'exp', 'iat', 'nonce'],
    });
    return payload;
  }
}

/** Text from a token or a URL, fit for one log line: printable ASCII, at most 300 characters. */
export function printable(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const CLAIM_CHECKS: Record<string, IdTokenCheck> = {
  iss: 'issuer',
  aud: 'audience',
  exp: 'expiry',
  iat: 'issued at',
  nbf: 'not before',
  nonce: 'nonce',
  sub: 'subject',
};

/** jose's error as the check it stands for; its message names the claim, never the token. */
function rejection(error: unknown): IdTokenRejected {
  if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) {
    const check = CLAIM_CHECKS[error.claim] ?? 'format';
    const received = error.claim === 'iss' ? `; issuer received: ${printable(error.payload.iss)}` : '';
    return new IdTokenRejected(check, `${error.message}${received}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new IdTokenRejected('algorithm', error.message);
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new IdTokenRejected('key', error.message);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new IdTokenRejected('signature', error.message);
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new IdTokenRejected('format', error.message);
  }
  // The key set could not be fetched or read: a timeout, a refused connection, a non-200, not JSON.
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new IdTokenRejected('keys unavailable', reason, { cause: error });
}

import { SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { generateKeyPairSync, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { EmulatorInputError } from './emulator.types';
import type { SeedUser } from './seed-data';

/**
 * Webex's id_tokens carry a regional identity-broker issuer, another host than the API's
 * (`https://idbroker-b-us.webex.com/idb`-style); the emulator's is on another host too, so a
 * client that assumed issuer = API origin would fail here as it would against Webex.
 */
export const EMULATOR_ISSUER = 'https://idbroker-b-us.webex-emulator.invalid/idb';

/** A bad id_token the emulator can be told to send, one for each check a client must make. */
export const ID_TOKEN_FAULTS = [
  'wrong-issuer',
  'wrong-audience',
  'expired',
  'bad-signature',
  'unknown-key',
  'none',
  'other-nonce',
] as const;
export type IdTokenFault = (typeof ID_TOKEN_FAULTS)[number];

/** A control's value as a fault, or undefined to clear; anything else names the known ones. */
export function checkIdTokenFault(fault: unknown): IdTokenFault | undefined {
  if (fault === undefined || fault === null) return undefined;
  if (typeof fault === 'string' && (ID_TOKEN_FAULTS as readonly string[]).includes(fault)) return fault as IdTokenFault;
  throw new EmulatorInputError(`fault must be one of ${ID_TOKEN_FAULTS.join(', ')} (or null to clear).`);
}

const ID_TOKEN_SECONDS = 3600;

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JsonWebKey;
}

function newSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(9).toString('base64url');
  return { kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' } };
}

/** What an id_token and UserInfo say of a person, for the scopes granted (OpenID Connect Core 5.4). */
export function claimsOf(user: SeedUser, scopes: readonly string[]): JWTPayload {
  const { person } = user;
  return {
    sub: person.id,
    ...(scopes.includes('email') ? { email: person.emails[0], email_verified: true } : {}),
    ...(scopes.includes('profile')
      ? { name: person.displayName, given_name: person.firstName, family_name: person.lastName }
      : {}),
  };
}

/**
 * The emulator's "Login with Webex": signing keys (published at /v1/verification, rotated on
 * request, the previous key kept published), RS256 id_tokens, and the bad ones a test asks for.
 */
export class OidcProvider {
  /** Made on first use: an RSA key costs 15–60 ms, which every emulator start would pay otherwise. */
  private keys?: SigningKey[];
  private fault?: IdTokenFault;

  /** The key set, current key first. */
  jwks(): { keys: JsonWebKey[] } {
    return { keys: this.signingKeys().map((key) => key.publicJwk) };
  }

  /** Signs with a new key from now on; the previous one stays published, older ones go. */
  rotateKeys(): void {
    this.keys = [newSigningKey(), this.signingKeys()[0]];
  }

  private signingKeys(): SigningKey[] {
    return (this.keys ??= [newSigningKey()]);
  }

  /** The next id_tokens are bad in this way, until cleared (undefined) or reset. */
  setIdTokenFault(fault: IdTokenFault | undefined): void {
    this.fault = fault;
  }

  /** The discovery document, with the endpoints at `origin` (OpenID Connect Discovery 1.0, §3). */
  discovery(origin: string) {
    return {
      issuer: EMULATOR_ISSUER,
      authorization_endpoint: `${origin}/v1/authorize`,
      token_endpoint: `${origin}/v1/access_token`,
      userinfo_endpoint: `${origin}/v1/userinfo`,
      jwks_uri: `${origin}/v1/verification`,
      scopes_supported: ['openid', 'email', 'profile', 'phone', 'address'],
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      code_challenge_methods_supported: ['S256'],
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'nonce',
        'email',
        'email_verified',
        'name',
        'given_name',
        'family_name',
      ],
    };
  }

  /** An id_token for a code redeemed with the `openid` scope, the nonce of its authorize request echoed. */
  async idToken(grant: {
    clientId: string;
    user: SeedUser;
    scopes: readonly string[];
    nonce?: string;
  }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const fault = this.fault;
    const payload: JWTPayload = {
      ...claimsOf(grant.user, grant.scopes),
      iss: fault === 'wrong-issuer' ? 'https://idbroker.elsewhere.invalid/idb' : EMULATOR_ISSUER,
      aud: fault === 'wrong-audience' ? 'another-integration' : grant.clientId,
      iat: fault === 'expired' ? now - 2 * ID_TOKEN_SECONDS : now,
      exp: fault === 'expired' ? now - ID_TOKEN_SECONDS : now + ID_TOKEN_SECONDS,
      ...(fault === 'other-nonce'
        ? { nonce: randomBytes(16).toString('base64url') }
        : grant.nonce !== undefined
          ? { nonce: grant.nonce }
          : {}),
    };
    if (fault === 'none') return new UnsecuredJWT(payload).encode();
    const current = this.signingKeys()[0];
    // Signed by a key nobody published: under the current key id, or under an id of its own.
    const signer = fault === 'bad-signature' || fault === 'unknown-key' ? newSigningKey() : current;
    const kid = fault === 'bad-signature' ? current.kid : signer.kid;
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(signer.privateKey);
  }
}

import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type JWTPayload } from 'jose';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IdTokenRejected, IdTokenVerifier, type IdTokenVerifierOptions } from './id-token.verifier';

const ISSUER = 'https://idbroker-b-us.example.test/idb';
const SECOND_ISSUER = 'https://idbroker.example.test/idb';
const CLIENT_ID = 'client-under-test';
const NONCE = 'n-0S6_WzA2Mj';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** A key set served over real HTTP, as Webex's jwks_uri is; it counts the fetches. */
class KeyServer {
  fetches = 0;
  answer: 'keys' | 'garbage' | 'error' = 'keys';
  private published: JWK[] = [];
  private server?: Server;

  async start(): Promise<string> {
    const server = createServer((_req, res) => {
      this.fetches += 1;
      if (this.answer === 'error') return res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(this.answer === 'garbage' ? '{"keys": 7' : JSON.stringify({ keys: this.published }));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/verification`;
  }

  /** Publishes the keys; `alg` is optional in a JWK (RFC 7517 4.4), and a key set may leave it out. */
  async publish(
    ...keys: { kid: string; pair: { publicKey: CryptoKey | KeyObject }; withoutAlg?: boolean }[]
  ): Promise<void> {
    this.published = await Promise.all(
      keys.map(async ({ kid, pair, withoutAlg }) => ({
        ...(await exportJWK(pair.publicKey)),
        kid,
        use: 'sig',
        ...(withoutAlg ? {} : { alg: 'RS256' }),
      })),
    );
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const now = () => Math.floor(Date.now() / 1000);

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: CLIENT_ID,
    sub: 'person-1',
    nonce: NONCE,
    iat: now(),
    exp: now() + 3600,
    email: 'alice@example.test',
    email_verified: true,
    name: 'Alice Sandbox',
    ...overrides,
  };
}

function sign(payload: JWTPayload, key: KeyPair, kid = 'key-1'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key.privateKey);
}

describe('IdTokenVerifier', () => {
  const keyServer = new KeyServer();
  let jwksUri: string;
  let key: KeyPair;
  let otherKey: KeyPair;

  beforeAll(async () => {
    jwksUri = await keyServer.start();
    key = await generateKeyPair('RS256', { extractable: true });
    otherKey = await generateKeyPair('RS256', { extractable: true });
  });
  afterAll(() => keyServer.stop());
  beforeEach(async () => {
    keyServer.answer = 'keys';
    keyServer.fetches = 0;
    await keyServer.publish({ kid: 'key-1', pair: key });
  });

  const verifier = (options: Partial<IdTokenVerifierOptions> = {}) =>
    new IdTokenVerifier({ jwksUri, issuers: [ISSUER], clientId: CLIENT_ID, ...options });

  async function refusal(token: string, v = verifier(), nonce = NONCE): Promise<IdTokenRejected> {
    const error = await v.verify(token, nonce).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IdTokenRejected);
    return error as IdTokenRejected;
  }

  it('accepts a well-formed token and returns who signed in', async () => {
    await expect(verifier().verify(await sign(claims(), key), NONCE)).resolves.toEqual({
      sub: 'person-1',
      issuer: ISSUER,
      email: 'alice@example.test',
      emailVerified: true,
      name: 'Alice Sandbox',
    });
  });

  describe('the signature', () => {
    it('refuses an unsigned token (alg none)', async () => {
      const token = new UnsecuredJWT(claims()).encode();

      expect((await refusal(token)).check).toBe('algorithm');
    });

    it('refuses a token signed with a shared secret (HS256), even one equal to the client secret', async () => {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
        .sign(new TextEncoder().encode('a-client-secret-of-thirty-two-bytes!'));

      expect((await refusal(token)).check).toBe('algorithm');
    });

    it('refuses another RSA algorithm (PS256) made with the published key itself, when the key set names no alg', async () => {
      // A Node key object: one RSA key can sign RS256 and PS256 alike (a WebCrypto key is bound to one).
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await keyServer.publish({ kid: 'key-1', pair: rsa, withoutAlg: true });
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'PS256', kid: 'key-1' }).sign(rsa.privateKey);

      expect((await refusal(token)).check).toBe('algorithm');
    });

    it('refuses a token signed by another key under a published key id', async () => {
      expect((await refusal(await sign(claims(), otherKey, 'key-1'))).check).toBe('signature');
    });

    it('refuses a token whose payload was changed after signing', async () => {
      const [header, , signature] = (await sign(claims(), key)).split('.');
      const forged = Buffer.from(JSON.stringify(claims({ sub: 'someone-else' }))).toString('base64url');

      expect((await refusal(`${header}.${forged}.${signature}`)).check).toBe('signature');
    });

    it('refuses what is not a JWT', async () => {
      expect((await refusal('not.a.jwt')).check).toBe('format');
    });
  });

  describe('the keys', () => {
    it('refuses a key id that is not published', async () => {
      expect((await refusal(await sign(claims(), otherKey, 'key-unknown'))).check).toBe('key');
    });

    it('fetches the keys again for a new key id once the cool-down has passed: a rotation is followed', async () => {
      const v = verifier({ refetchCooldownMs: 0 });
      await v.verify(await sign(claims(), key), NONCE);
      await keyServer.publish({ kid: 'key-2', pair: otherKey }, { kid: 'key-1', pair: key });

      await expect(v.verify(await sign(claims(), otherKey, 'key-2'), NONCE)).resolves.toMatchObject({
        sub: 'person-1',
      });
      expect(keyServer.fetches).toBe(2);
    });

    it('waits out a short cool-down for a key published since the last fetch, and fetches once more', async () => {
      const v = verifier({ refetchCooldownMs: 300 });
      await v.verify(await sign(claims(), key), NONCE);
      await keyServer.publish({ kid: 'key-2', pair: otherKey }, { kid: 'key-1', pair: key });
      const started = Date.now();

      await expect(v.verify(await sign(claims(), otherKey, 'key-2'), NONCE)).resolves.toMatchObject({
        sub: 'person-1',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(keyServer.fetches).toBe(2);
    });

    it('refuses a key id that is still unknown after the wait, having fetched once per cool-down', async () => {
      const v = verifier({ refetchCooldownMs: 100 });
      await v.verify(await sign(claims(), key), NONCE);

      const refusals = await Promise.all(
        [1, 2, 3].map(async (i) => (await refusal(await sign(claims(), otherKey, `made-up-${i}`), v)).check),
      );
      expect(refusals).toEqual(['key', 'key', 'key']);
      // The three waited together, and one fetch served them all.
      expect(keyServer.fetches).toBe(2);
    });

    it('fetches the keys at most once per cool-down, however many tokens name unknown keys', async () => {
      const v = verifier({ refetchCooldownMs: 60_000 });
      await v.verify(await sign(claims(), key), NONCE);

      for (let i = 0; i < 20; i++) {
        expect((await refusal(await sign(claims(), otherKey, `made-up-${i}`), v)).check).toBe('key');
      }
      expect(keyServer.fetches).toBe(1);
    });

    it.each([
      ['answers 503', 'error'],
      ['answers something that is not a key set', 'garbage'],
    ] as const)('says the keys are unavailable when jwks_uri %s', async (_, answer) => {
      keyServer.answer = answer;

      expect((await refusal(await sign(claims(), key))).check).toBe('keys unavailable');
    });
  });

  describe('the claims', () => {
    it('refuses another issuer, and names the issuer received for the operator', async () => {
      const refused = await refusal(await sign(claims({ iss: 'https://evil.example.test/idb' }), key));

      expect(refused.check).toBe('issuer');
      expect(refused.detail).toContain('https://evil.example.test/idb');
    });

    it('accepts an issuer listed besides the discovery document’s (WEBEX_OIDC_ISSUERS)', async () => {
      const token = await sign(claims({ iss: SECOND_ISSUER }), key);

      await expect(verifier({ issuers: [ISSUER, SECOND_ISSUER] }).verify(token, NONCE)).resolves.toMatchObject({
        issuer: SECOND_ISSUER,
      });
      expect((await refusal(token)).check).toBe('issuer');
    });

    it('refuses a token for another client', async () => {
      expect((await refusal(await sign(claims({ aud: 'another-client' }), key))).check).toBe('audience');
    });

    it('accepts an audience list with this client and azp naming it; refuses one without azp or with another azp', async () => {
      const audiences = [CLIENT_ID, 'another-client'];

      await expect(
        verifier().verify(await sign(claims({ aud: audiences, azp: CLIENT_ID }), key), NONCE),
      ).resolves.toMatchObject({ sub: 'person-1' });
      expect((await refusal(await sign(claims({ aud: audiences }), key))).check).toBe('authorized party');
      expect((await refusal(await sign(claims({ azp: 'another-client' }), key))).check).toBe('authorized party');
    });

    it('refuses an expired token, with a minute of slack for the clocks', async () => {
      await expect(verifier().verify(await sign(claims({ exp: now() - 30 }), key), NONCE)).resolves.toBeDefined();
      expect((await refusal(await sign(claims({ exp: now() - 120 }), key))).check).toBe('expiry');
    });

    it('refuses a token issued in the future or too long ago', async () => {
      expect((await refusal(await sign(claims({ iat: now() + 600 }), key))).check).toBe('issued at');
      expect((await refusal(await sign(claims({ iat: now() - 3600 }), key))).check).toBe('issued at');
    });

    it('refuses a token not valid yet', async () => {
      expect((await refusal(await sign(claims({ nbf: now() + 600 }), key))).check).toBe('not before');
    });

    it('refuses a nonce of another sign-in, and a token without one', async () => {
      expect((await refusal(await sign(claims(), key), verifier(), 'another-sign-in-nonce')).check).toBe('nonce');
      expect((await refusal(await sign(claims({ nonce: undefined }), key))).check).toBe('nonce');
    });

    it('refuses a token without a subject, or with an empty one', async () => {
      expect((await refusal(await sign(claims({ sub: undefined }), key))).check).toBe('subject');
      expect((await refusal(await sign(claims({ sub: '' }), key))).check).toBe('subject');
    });

    it('never puts the token in what it says', async () => {
      const token = await sign(claims({ aud: 'another-client' }), key);
      const refused = await refusal(token);

      for (const part of token.split('.')) {
        expect(`${refused.message} ${refused.detail}`).not.toContain(part);
      }
    });
  });
});

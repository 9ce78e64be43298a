import { IdTokenVerifier, type IdTokenCheck } from '../auth/id-token.verifier';
import type { IssuedTokens, WebexEmulator } from './emulator.types';
import { EMULATOR_ISSUER, ID_TOKEN_FAULTS, type IdTokenFault } from './oidc-provider';
import { authorize, CLIENT, callApi, get, REDIRECT_URI, startTestEmulator, tokenRequest } from './sandbox.test-helpers';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported: string[];
  token_endpoint_auth_methods_supported: string[];
}

const NONCE = 'a-nonce-of-this-sign-in-0123456789';
const basic = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`;

describe('the emulator’s Login with Webex', () => {
  let emulator: WebexEmulator;
  let discovery: Discovery;

  beforeAll(async () => {
    emulator = await startTestEmulator({ testControls: true });
    discovery = (await (await get(`${emulator.apiBaseUrl}/.well-known/openid-configuration`)).json()) as Discovery;
  });
  afterAll(() => emulator.close());
  afterEach(() => emulator.controls.reset());

  /** Authorize with these scopes and the nonce, then redeem the code with client_secret_basic. */
  async function signIn(scope = 'openid email profile', nonce: string | undefined = NONCE): Promise<IssuedTokens> {
    const query = await authorize(emulator, { scope, nonce });
    const res = await tokenRequest(
      emulator,
      { grant_type: 'authorization_code', code: query.get('code')!, redirect_uri: REDIRECT_URI },
      { authorization: basic },
    );
    expect(res.status).toBe(200);
    return (await res.json()) as IssuedTokens;
  }

  const verifier = () =>
    new IdTokenVerifier({
      jwksUri: discovery.jwks_uri,
      issuers: [discovery.issuer],
      clientId: CLIENT.clientId,
      refetchCooldownMs: 0,
    });

  it('publishes its discovery document under the API base, with an issuer on another host', () => {
    expect(discovery).toMatchObject({
      issuer: EMULATOR_ISSUER,
      authorization_endpoint: `${emulator.apiBaseUrl}/authorize`,
      token_endpoint: `${emulator.apiBaseUrl}/access_token`,
      userinfo_endpoint: `${emulator.apiBaseUrl}/userinfo`,
      jwks_uri: `${emulator.apiBaseUrl}/verification`,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
    });
    expect(new URL(discovery.issuer).host).not.toBe(new URL(emulator.origin).host);
  });

  it('answers a code granted with openid with an RS256 id_token that echoes the nonce and carries the scopes’ claims', async () => {
    const tokens = await signIn();

    await expect(verifier().verify(tokens.id_token!, NONCE)).resolves.toEqual({
      sub: expect.any(String),
      issuer: EMULATOR_ISSUER,
      email: 'alice@example.com',
      emailVerified: true,
      name: expect.stringContaining('Alice'),
    });
  });

  it('puts only what the scopes grant in the id_token: no email without `email`, no name without `profile`', async () => {
    const claims = await verifier().verify((await signIn('openid')).id_token!, NONCE);

    expect(claims.email).toBeUndefined();
    expect(claims.name).toBeUndefined();
  });

  it('sends no id_token for a code granted without openid', async () => {
    expect((await signIn('spark:people_read', undefined)).id_token).toBeUndefined();
  });

  it('answers UserInfo for a token with openid, and 403 for one without', async () => {
    const withOpenid = await callApi(emulator, '/userinfo', await signIn());
    const without = await callApi(emulator, '/userinfo', await signIn('spark:people_read', undefined));

    expect(withOpenid.status).toBe(200);
    expect(await withOpenid.json()).toMatchObject({ email: 'alice@example.com', email_verified: true });
    expect(without.status).toBe(403);
  });

  it('rotates its signing key on request, keeping the previous one published', async () => {
    const keysBefore = (await (await get(discovery.jwks_uri)).json()) as { keys: { kid: string }[] };
    const v = verifier();
    await v.verify((await signIn()).id_token!, NONCE);

    emulator.controls.rotateSigningKeys();
    const keysAfter = (await (await get(discovery.jwks_uri)).json()) as { keys: { kid: string }[] };

    expect(keysAfter.keys.map((k) => k.kid)).toEqual([expect.any(String), keysBefore.keys[0].kid]);
    expect(keysAfter.keys[0].kid).not.toBe(keysBefore.keys[0].kid);
    await expect(v.verify((await signIn()).id_token!, NONCE)).resolves.toMatchObject({ issuer: EMULATOR_ISSUER });
  });

  const refusedBy: Record<IdTokenFault, IdTokenCheck> = {
    'wrong-issuer': 'issuer',
    'wrong-audience': 'audience',
    expired: 'expiry',
    'bad-signature': 'signature',
    'unknown-key': 'key',
    none: 'algorithm',
    'other-nonce': 'nonce',
  };

  it.each(ID_TOKEN_FAULTS)('sends a bad id_token on request (%s), which a verifying client refuses', async (fault) => {
    emulator.controls.setIdTokenFault(fault);

    await expect(verifier().verify((await signIn()).id_token!, NONCE)).rejects.toMatchObject({
      check: refusedBy[fault],
    });
  });

  it('refuses an unknown fault by name, over its HTTP control', async () => {
    const res = await fetch(`${emulator.origin}/_emulator/id-token-fault`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fault: 'made-up' }),
    });

    expect(res.status).toBe(400);
    expect(await res.text()).toContain('wrong-issuer');
  });
});

import { Test } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import { appConfig, oauthConfig } from '../config';
import { LoginStateStore, MemoryLoginStateStore } from '../session';
import { WebexApiService, WebexGrantRefusedError, WebexUnavailableError, webexCalls } from '../webex';
import { FeaturesService } from './features.service';
import { OAuthService } from './oauth.service';

const oauth = {
  clientId: 'client-1',
  clientSecret: 'secret-1',
  authorizeEndpoint: 'https://webex.test/v1/authorize',
  redirectUri: 'http://localhost:8080/oauth',
  callbackPath: '/oauth',
  publicOrigin: 'http://localhost:8080',
  loginStateTtlSeconds: 600,
};

const tokens = (suffix: string) => ({
  accessToken: `access-${suffix}`,
  refreshToken: `refresh-${suffix}`,
  accessTokenExpiresAt: Date.now() + 3_600_000,
});

describe(OAuthService.name, () => {
  let service: OAuthService;
  let webex: { exchangeCode: jest.Mock; refreshTokens: jest.Mock; get: jest.Mock };

  beforeEach(async () => {
    webex = {
      exchangeCode: jest.fn().mockResolvedValue(tokens('1')),
      refreshTokens: jest.fn().mockResolvedValue(tokens('2')),
      get: jest.fn().mockResolvedValue({ id: 'person-1', displayName: 'Alice' }),
    };
    const moduleRef = await Test.createTestingModule({
      providers: [
        OAuthService,
        { provide: WebexApiService, useValue: webex },
        { provide: LoginStateStore, useValue: new MemoryLoginStateStore() },
        { provide: FeaturesService, useValue: { requestedScopes: () => ['spark:people_read', 'spark:rooms_read'] } },
        { provide: oauthConfig.KEY, useValue: oauth },
        { provide: appConfig.KEY, useValue: { debugOAuth: false } },
      ],
    }).compile();
    service = moduleRef.get(OAuthService);
  });

  afterEach(() => jest.restoreAllMocks());

  async function startAndGetParams(browserId = 'browser-a') {
    return new URL(await service.startSignIn(browserId)).searchParams;
  }

  it('sends the browser to the authorize endpoint with a fresh state and an S256 PKCE challenge', async () => {
    const url = new URL(await service.startSignIn('browser-a'));
    expect(`${url.origin}${url.pathname}`).toBe(oauth.authorizeEndpoint);
    const p = url.searchParams;
    expect(p.get('client_id')).toBe('client-1');
    expect(p.get('response_type')).toBe('code');
    expect(p.get('redirect_uri')).toBe(oauth.redirectUri);
    expect(p.get('scope')).toBe('spark:people_read spark:rooms_read');
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('state')).toMatch(/^[\w-]{43}$/); // 256 bits
    expect(p.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(p.has('client_secret')).toBe(false);

    const other = await startAndGetParams();
    expect(other.get('state')).not.toBe(p.get('state'));
    expect(other.get('code_challenge')).not.toBe(p.get('code_challenge'));
  });

  it('exchanges the code with the verifier whose hash was the challenge', async () => {
    const params = await startAndGetParams();
    const result = await service.finishSignIn('browser-a', { code: 'code-1', state: params.get('state')! });
    const [code, verifier] = webex.exchangeCode.mock.calls[0] as [string, string];
    expect(code).toBe('code-1');
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(params.get('code_challenge'));
    expect(webex.get).toHaveBeenCalledWith(webexCalls.me, 'access-1');
    expect(result.user).toEqual({ id: 'person-1', displayName: 'Alice' });
    expect(result.tokens.refreshToken).toBe('refresh-1');
  });

  it('rejects a callback whose state was already used', async () => {
    const state = (await startAndGetParams()).get('state')!;
    await service.finishSignIn('browser-a', { code: 'c', state });
    await expect(service.finishSignIn('browser-a', { code: 'c', state })).rejects.toMatchObject({
      reason: 'state_mismatch',
    });
    expect(webex.exchangeCode).toHaveBeenCalledTimes(1);
  });

  it('rejects a state that belongs to another browser, and spends it', async () => {
    const state = (await startAndGetParams('browser-a')).get('state')!;
    await expect(service.finishSignIn('browser-b', { code: 'c', state })).rejects.toMatchObject({
      reason: 'state_mismatch',
    });
    await expect(service.finishSignIn('browser-a', { code: 'c', state })).rejects.toMatchObject({
      reason: 'state_mismatch',
    });
    expect(webex.exchangeCode).not.toHaveBeenCalled();
  });

  it('rejects a callback in a browser with no session', async () => {
    const state = (await startAndGetParams()).get('state')!;
    await expect(service.finishSignIn(undefined, { code: 'c', state })).rejects.toMatchObject({
      reason: 'state_mismatch',
    });
  });

  it('rejects a state older than its lifetime', async () => {
    const state = (await startAndGetParams()).get('state')!;
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 601_000);
    await expect(service.finishSignIn('browser-a', { code: 'c', state })).rejects.toMatchObject({
      reason: 'state_mismatch',
    });
    expect(webex.exchangeCode).not.toHaveBeenCalled();
  });

  it('keeps parallel sign-ins of one browser apart', async () => {
    const first = (await startAndGetParams()).get('state')!;
    const second = (await startAndGetParams()).get('state')!;
    await service.finishSignIn('browser-a', { code: 'c2', state: second });
    await service.finishSignIn('browser-a', { code: 'c1', state: first });
    expect(webex.exchangeCode).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['access_denied', 'access_denied'],
    ['invalid_scope', 'invalid_scope'],
    ['server_error', 'server_error'],
    ['temporarily_unavailable', 'other_error'],
    ['<script>', 'other_error'],
  ])('turns error=%s into a %s failure without calling the token endpoint', async (error, reason) => {
    const state = (await startAndGetParams()).get('state')!;
    await expect(service.finishSignIn('browser-a', { error, state })).rejects.toMatchObject({ reason });
    expect(webex.exchangeCode).not.toHaveBeenCalled();
    // The state is spent by the error answer.
    await expect(service.finishSignIn('browser-a', { code: 'c', state })).rejects.toMatchObject({
      reason: 'state_mismatch',
    });
  });

  it.each([[{ state: 's' }], [{ code: 'c' }], [{}]])('rejects a callback missing code or state: %p', async (query) => {
    await expect(service.finishSignIn('browser-a', query)).rejects.toMatchObject({ reason: 'unexpected_parameters' });
  });

  it.each([400, 401])('reports a code refused with %i as code_rejected, whatever the body said', async (status) => {
    webex.exchangeCode.mockRejectedValueOnce(new WebexGrantRefusedError('no', 'POST /access_token', status, 'T1'));
    const state = (await startAndGetParams()).get('state')!;
    await expect(service.finishSignIn('browser-a', { code: 'c', state })).rejects.toMatchObject({
      reason: 'code_rejected',
    });
  });

  it('lets other Webex failures through', async () => {
    webex.exchangeCode.mockRejectedValueOnce(new WebexUnavailableError('down', 'POST /access_token', 503));
    const s2 = (await startAndGetParams()).get('state')!;
    await expect(service.finishSignIn('browser-a', { code: 'c', state: s2 })).rejects.toEqual(
      expect.any(WebexUnavailableError),
    );
  });

  it('refreshes with the refresh token and returns the new tokens', async () => {
    await expect(service.refresh(tokens('1'))).resolves.toMatchObject({
      accessToken: 'access-2',
      refreshToken: 'refresh-2',
    });
    expect(webex.refreshTokens).toHaveBeenCalledWith('refresh-1');
  });
});

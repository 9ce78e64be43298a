import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { MemoryGrantStore } from '../session/memory-grant.store';
import { TokenCipher } from '../session/token-cipher';
import { NotSignedInError, SessionEndedError } from './auth.errors';
import { AuthGuard } from './auth.guard';
import type { WebexApiService } from '../webex';
import type { SignInService } from './sign-in.service';
import { WebexClient } from './webex-client';
import { Public } from './public.decorator';
import { SessionTokensService } from './session-tokens.service';

class Pages {
  @Public()
  open() {}
  secret() {}
}

function requestFor(session: Partial<Request['session']> | undefined): Request {
  return { session } as Request;
}

function contextFor(handler: keyof Pages, req: Request): ExecutionContext {
  return {
    getHandler: () => Pages.prototype[handler],
    getClass: () => Pages,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
}

describe(AuthGuard.name, () => {
  let oauth: { refresh: jest.Mock };
  let grants: MemoryGrantStore;
  let tokens: SessionTokensService;
  let guard: AuthGuard;

  beforeEach(() => {
    oauth = {
      refresh: jest
        .fn()
        .mockResolvedValue({ accessToken: 'a2', refreshToken: 'r2', accessTokenExpiresAt: Date.now() + 3_600_000 }),
    };
    grants = new MemoryGrantStore({
      cipher: new TokenCipher([Buffer.alloc(32, 1)]),
      ttlMs: 60_000,
      refreshWaitMs: 1000,
      max: 100,
    });
    tokens = new SessionTokensService(oauth as unknown as SignInService, grants, {} as WebexApiService);
    guard = new AuthGuard(new Reflector(), tokens);
  });

  async function signedIn(expiresInMs: number) {
    const grantId = 'grant-1';
    await grants.save(grantId, {
      accessToken: 'a1',
      refreshToken: 'r1',
      accessTokenExpiresAt: Date.now() + expiresInMs,
      version: 1,
    });
    return requestFor({ user: { id: 'p', displayName: 'P' }, grantId });
  }

  it('lets anyone through a @Public() route', async () => {
    await expect(guard.canActivate(contextFor('open', requestFor(undefined)))).resolves.toBe(true);
  });

  it.each([
    ['no session', undefined],
    ['an empty session', {}],
    ['a session with a name but no grant', { user: { id: 'p', displayName: 'P' } }],
  ])('turns away %s', async (_case, session) => {
    await expect(guard.canActivate(contextFor('secret', requestFor(session as never)))).rejects.toBeInstanceOf(
      NotSignedInError,
    );
  });

  it('lets a signed-in session with a fresh token through without refreshing, with its token on the request', async () => {
    const req = await signedIn(3_600_000);
    await expect(guard.canActivate(contextFor('secret', req))).resolves.toBe(true);
    expect(oauth.refresh).not.toHaveBeenCalled();
    expect(req.webexGrant?.accessToken).toBe('a1');
    // The handler's @Webex() client, bound to this request.
    expect(req.webex).toBeInstanceOf(WebexClient);
  });

  it('refreshes a token that expires within 60 seconds before the page runs', async () => {
    const req = await signedIn(59_000);
    await expect(guard.canActivate(contextFor('secret', req))).resolves.toBe(true);
    expect(oauth.refresh).toHaveBeenCalledTimes(1);
    expect(req.webexGrant).toMatchObject({ accessToken: 'a2', refreshToken: 'r2', version: 2 });
    await expect(grants.get(req.session.grantId!)).resolves.toMatchObject({ refreshToken: 'r2' });
  });

  it('signs out a session whose grant is gone, with a notice and no loop', async () => {
    const req = await signedIn(3_600_000);
    await grants.delete(req.session.grantId!);
    await expect(guard.canActivate(contextFor('secret', req))).rejects.toBeInstanceOf(SessionEndedError);
    expect(req.session).toEqual({ notice: expect.stringMatching(/sign in again/) });
  });
});

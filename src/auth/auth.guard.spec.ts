import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { NotSignedInError } from './auth.errors';
import { AuthGuard } from './auth.guard';
import { Public } from './public.decorator';
import { SessionTokensService } from './session-tokens.service';

class Pages {
  @Public()
  open() {}
  secret() {}
}

function contextFor(handler: keyof Pages, session: Partial<Request['session']> | undefined): ExecutionContext {
  const req = { session } as Request;
  return {
    getHandler: () => Pages.prototype[handler],
    getClass: () => Pages,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
}

const signedIn = (expiresInMs: number) => ({
  user: { id: 'p', displayName: 'P' },
  tokens: { accessToken: 'a', refreshToken: 'r', accessTokenExpiresAt: Date.now() + expiresInMs },
});

describe(AuthGuard.name, () => {
  let oauth: { refresh: jest.Mock };
  let guard: AuthGuard;

  beforeEach(() => {
    oauth = { refresh: jest.fn().mockResolvedValue({ accessToken: 'a2', refreshToken: 'r2', accessTokenExpiresAt: Date.now() + 3_600_000 }) };
    guard = new AuthGuard(new Reflector(), new SessionTokensService(oauth as never));
  });

  it('lets anyone through a @Public() route', async () => {
    await expect(guard.canActivate(contextFor('open', undefined))).resolves.toBe(true);
  });

  it.each([
    ['no session', undefined],
    ['an empty session', {}],
    ['a session with a name but no tokens', { user: { id: 'p', displayName: 'P' } }],
  ])('turns away %s', async (_case, session) => {
    await expect(guard.canActivate(contextFor('secret', session as never))).rejects.toBeInstanceOf(NotSignedInError);
  });

  it('lets a signed-in session with a fresh token through without refreshing', async () => {
    await expect(guard.canActivate(contextFor('secret', signedIn(3_600_000) as never))).resolves.toBe(true);
    expect(oauth.refresh).not.toHaveBeenCalled();
  });

  it('refreshes a token that expires within 60 seconds before the page runs', async () => {
    const session = signedIn(59_000);
    await expect(guard.canActivate(contextFor('secret', session as never))).resolves.toBe(true);
    expect(oauth.refresh).toHaveBeenCalledTimes(1);
    expect(session.tokens.accessToken).toBe('a2');
  });
});

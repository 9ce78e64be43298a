import { Controller, Get, Logger } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { oauthConfig } from '../config';
import { webexGet, webexList } from '../webex';
import { Feature } from './feature.decorator';
import { FeatureGuard } from './feature.guard';
import { FeaturesService } from './features.service';

const me = webexGet({ path: '/people/me', scope: 'scope:me', answer: z.object({ id: z.string() }) });
const things = webexList({ path: '/things', scope: 'scope:things', item: z.object({ id: z.string() }) });
const extras = webexGet({ path: '/extras', scope: 'scope:extras', answer: z.object({}) });

@Feature({ key: 'signIn', label: 'Sign-in', calls: [me], required: true })
@Controller('a')
class SignInController {
  @Get() get() {}
}

@Feature({ key: 'things', label: 'Things', calls: [things, me], nav: { label: 'My things', href: '/things' } })
@Controller('b')
class ThingsController {
  @Get() get() {}
}

@Feature({ key: 'extras', label: 'Extras', calls: [extras, things], nav: { label: 'Extras', href: '/extras' } })
@Controller('c')
class ExtrasController {
  @Get() get() {}
}

@Controller('d')
class PlainController {
  @Get() get() {}
}

async function featuresWith(grantedScopes: string[] | undefined) {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    controllers: [SignInController, ThingsController, ExtrasController, PlainController],
    providers: [FeaturesService, FeatureGuard, { provide: oauthConfig.KEY, useValue: { grantedScopes } }],
  }).compile();
  return moduleRef.get(FeaturesService);
}

describe(FeaturesService.name, () => {
  afterEach(() => jest.restoreAllMocks());

  it('finds each feature with the scopes of the calls it makes, and turns off those the integration lacks', async () => {
    const features = await featuresWith(['scope:me', 'scope:things', 'scope:unused']);

    expect(
      features.all().map(({ key, scopes, available, missingScopes }) => [key, scopes, available, missingScopes]),
    ).toEqual([
      ['signIn', ['scope:me'], true, []],
      ['things', ['scope:things', 'scope:me'], true, []],
      ['extras', ['scope:extras', 'scope:things'], false, ['scope:extras']],
    ]);
    expect(features.requestedScopes()).toEqual(['scope:me', 'scope:things']);
    expect(features.forViews().extras).toEqual({ label: 'Extras', available: false, missingScopes: ['scope:extras'] });
  });

  it('links the pages of the features that are on, as their @Feature declares, in the header', async () => {
    expect((await featuresWith(['scope:me', 'scope:things'])).navigation()).toEqual([
      { key: 'things', label: 'My things', href: '/things' },
    ]);
    expect((await featuresWith(undefined)).navigation().map((link) => link.href)).toEqual(['/things', '/extras']);
  });

  it('turns everything on in sandbox mode, whose integration has every scope', async () => {
    const features = await featuresWith(undefined);

    expect(features.all().every((feature) => feature.available)).toBe(true);
    expect(features.requestedScopes()).toEqual(['scope:extras', 'scope:me', 'scope:things']);
  });

  it('logs each feature on or off, and what sign-in asks for', async () => {
    const features = await featuresWith(['scope:me', 'scope:things', 'scope:unused']);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    features.onApplicationBootstrap();

    expect(log.mock.calls.map((call) => String(call[0]))).toEqual([
      'Sign-in: on (scope:me)',
      'Things: on (scope:things scope:me)',
      'Sign-in asks for: scope:me scope:things (granted but not used: scope:unused)',
    ]);
    expect(warn.mock.calls.map((call) => String(call[0]))).toEqual(['Extras: off, the integration lacks scope:extras']);
  });

  it('stops start-up when a required feature lacks a scope, naming it', async () => {
    const features = await featuresWith(['scope:things']);

    expect(() => features.onApplicationBootstrap()).toThrow(
      'AUTH_INIT_URL does not grant scope:me, which Sign-in needs: tick it on your integration on developer.webex.com and copy its authorize URL again',
    );
  });

  describe('a feature with scopes besides its calls’ (Login with Webex: openid, then email and profile if granted)', () => {
    @Feature({
      key: 'login',
      label: 'Login',
      calls: [],
      scopes: ['openid'],
      optionalScopes: ['email', 'profile'],
      required: true,
    })
    @Controller('e')
    class LoginController {
      @Get() get() {}
    }

    async function loginWith(grantedScopes: string[] | undefined) {
      const moduleRef = await Test.createTestingModule({
        imports: [DiscoveryModule],
        controllers: [LoginController],
        providers: [FeaturesService, FeatureGuard, { provide: oauthConfig.KEY, useValue: { grantedScopes } }],
      }).compile();
      return moduleRef.get(FeaturesService);
    }

    it('needs its own scope, and asks for the optional ones only when the integration grants them', async () => {
      const withEmail = await loginWith(['openid', 'email']);
      expect(withEmail.get('login')).toMatchObject({ available: true, missingScopes: [] });
      expect(withEmail.requestedScopes()).toEqual(['email', 'openid']);

      const bare = await loginWith(['openid']);
      expect(bare.get('login')).toMatchObject({ available: true, missingScopes: [] });
      expect(bare.requestedScopes()).toEqual(['openid']);

      expect((await loginWith(undefined)).requestedScopes()).toEqual(['email', 'openid', 'profile']);
    });

    it('is off without its own scope, whatever optional ones are granted', async () => {
      const features = await loginWith(['email', 'profile']);
      expect(features.get('login')).toMatchObject({ available: false, missingScopes: ['openid'] });
      expect(() => features.onApplicationBootstrap()).toThrow(/AUTH_INIT_URL does not grant openid, which Login needs/);
    });
  });
});

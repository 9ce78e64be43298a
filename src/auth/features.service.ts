import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DiscoveryService } from '@nestjs/core';
import { oauthConfig } from '../config';
import { FEATURE, type FeatureOptions, type FeatureState, type NavLink } from './feature';

/** What views get as `features`: each feature by key. */
export type FeaturesForViews = Record<string, Pick<FeatureState, 'available' | 'label' | 'missingScopes'>>;

/**
 * The features (controllers marked with @Feature) and which of them the integration's scopes
 * allow, read once from the controllers Nest registered: a feature's scopes are declared with the
 * Webex calls it makes, nowhere else.
 */
@Injectable()
export class FeaturesService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Features');
  private found?: { states: FeatureState[]; requested: string[]; views: FeaturesForViews; navigation: NavLink[] };

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(oauthConfig.KEY) private readonly config: ConfigType<typeof oauthConfig>,
  ) {}

  all(): readonly FeatureState[] {
    return this.discover().states;
  }

  get(key: string): FeatureState | undefined {
    return this.discover().states.find((state) => state.key === key);
  }

  /** What sign-in asks Webex for: the scopes of every feature that is on, and no more. */
  requestedScopes(): readonly string[] {
    return this.discover().requested;
  }

  forViews(): FeaturesForViews {
    return this.discover().views;
  }

  /** The header's links: each feature that is on and declares a `nav` entry, in registration order. */
  navigation(): readonly NavLink[] {
    return this.discover().navigation;
  }

  onApplicationBootstrap(): void {
    const { states, requested } = this.discover();
    const stopped = states.filter((state) => state.required && !state.available);
    if (stopped.length > 0) {
      throw new Error(
        stopped
          .map(
            (state) =>
              `AUTH_INIT_URL does not grant ${state.missingScopes.join(' ')}, which ${state.label} needs: tick it on your integration on developer.webex.com and copy its authorize URL again`,
          )
          .join('; '),
      );
    }
    for (const state of states) {
      if (state.available) this.logger.log(`${state.label}: on (${state.scopes.join(' ')})`);
      else this.logger.warn(`${state.label}: off, the integration lacks ${state.missingScopes.join(' ')}`);
    }
    const unused = (this.config.grantedScopes ?? []).filter((scope) => !requested.includes(scope));
    this.logger.log(
      `Sign-in asks for: ${requested.join(' ')}${unused.length ? ` (granted but not used: ${unused.join(' ')})` : ''}`,
    );
  }

  private discover(): NonNullable<FeaturesService['found']> {
    if (this.found) return this.found;
    const granted = this.config.grantedScopes;
    const states: FeatureState[] = [];
    const navigation: NavLink[] = [];
    for (const { metatype } of this.discovery.getControllers()) {
      const options = metatype && (Reflect.getMetadata(FEATURE, metatype) as FeatureOptions | undefined);
      if (!options) continue;
      if (states.some((state) => state.key === options.key)) throw new Error(`Two features are named ${options.key}`);
      const needed = [...new Set([...options.calls.map((call) => call.scope), ...(options.scopes ?? [])])];
      // Sandbox mode: the service's own emulator integration is registered with every scope.
      const missingScopes = granted ? needed.filter((scope) => !granted.includes(scope)) : [];
      const optional = (options.optionalScopes ?? []).filter((scope) => !granted || granted.includes(scope));
      states.push({
        key: options.key,
        label: options.label,
        scopes: [...new Set([...needed, ...optional])],
        missingScopes,
        available: missingScopes.length === 0,
        required: options.required ?? false,
      });
      if (options.nav && missingScopes.length === 0) navigation.push({ key: options.key, ...options.nav });
    }
    // Sorted: the same request whatever order the modules were registered in.
    const requested = [...new Set(states.filter((state) => state.available).flatMap((state) => state.scopes))].sort();
    const views = Object.fromEntries(
      states.map(({ key, label, available, missingScopes }) => [key, { label, available, missingScopes }]),
    );
    return (this.found = { states, requested, views, navigation });
  }
}

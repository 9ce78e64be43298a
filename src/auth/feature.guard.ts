import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FeatureUnavailableError } from './auth.errors';
import { FEATURE, FEATURE_OF, type FeatureOptions } from './feature';
import { FeaturesService } from './features.service';

/** Refuses the pages of a feature whose scopes the integration does not grant, saying which to add. */
@Injectable()
export class FeatureGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly features: FeaturesService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const key =
      this.reflector.get<string | undefined>(FEATURE_OF, context.getHandler()) ??
      this.reflector.get<FeatureOptions | undefined>(FEATURE, context.getClass())?.key;
    const state = key === undefined ? undefined : this.features.get(key);
    if (state && !state.available) throw new FeatureUnavailableError(state.label, state.missingScopes);
    return true;
  }
}

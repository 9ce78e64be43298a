import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FeatureUnavailableError } from './auth.errors';
import { FEATURE, type FeatureOptions } from './feature';
import { FeaturesService } from './features.service';

/** Refuses the pages of a feature whose scopes the integration does not grant, saying which to add. */
@Injectable()
export class FeatureGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly features: FeaturesService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const options = this.reflector.get<FeatureOptions | undefined>(FEATURE, context.getClass());
    const state = options && this.features.get(options.key);
    if (state && !state.available) throw new FeatureUnavailableError(state.label, state.missingScopes);
    return true;
  }
}

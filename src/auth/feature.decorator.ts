import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { FEATURE, FEATURE_OF, type FeatureOptions } from './feature';
import { FeatureGuard } from './feature.guard';

/**
 * Declares a controller as a feature and the Webex calls it makes. Sign-in asks for their scopes
 * when the integration grants them; when it does not, the feature is off: its pages answer 403
 * with the scope to add, views can tell (`features.<key>.available`), and sign-in still works.
 */
export function Feature(options: FeatureOptions): ClassDecorator {
  return applyDecorators(SetMetadata(FEATURE, options), UseGuards(FeatureGuard));
}

/**
 * Puts a handler behind a feature declared elsewhere (by its key), e.g. the JSON API's handlers
 * behind the pages' features: one scope, one switch, for the page and its API alike.
 */
export function FeatureOf(key: string): MethodDecorator {
  return applyDecorators(SetMetadata(FEATURE_OF, key), UseGuards(FeatureGuard));
}

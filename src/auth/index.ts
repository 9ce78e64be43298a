export { AuthModule } from './auth.module';
export { OAuthCallbackModule } from './oauth-callback.module';
export { Public } from './public.decorator';
export { SessionTokensService } from './session-tokens.service';
export { Webex, WebexClient } from './webex-client';
export { SignedInUser } from './signed-in-user.decorator';
export {
  CrossSiteRequestError,
  FeatureUnavailableError,
  NotSignedInError,
  SessionEndedError,
  SignInError,
  type SignInFailure,
} from './auth.errors';
export type { FeatureOptions, FeatureState } from './feature';
export { Feature, FeatureOf } from './feature.decorator';
export { FeaturesService, type FeaturesForViews } from './features.service';
export { safeReturnPath } from './return-path';

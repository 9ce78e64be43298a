import { type DynamicModule, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { oauthConfig } from '../config';
import { AuthModule } from './auth.module';
import { oauthCallbackController } from './oauth-callback.controller';

/**
 * Sign-in's callback, at the path of AUTH_INIT_URL's redirect_uri. Its own module because that
 * path is known only when the app is created; AuthModule, which every feature imports, stays
 * one static module. A page on the same path stops start-up (the route conflict policy, APP_OPTIONS).
 */
@Module({})
export class OAuthCallbackModule {
  static forRoot(oauth: Pick<ConfigType<typeof oauthConfig>, 'callbackPath' | 'openId'>): DynamicModule {
    return { module: OAuthCallbackModule, imports: [AuthModule], controllers: [oauthCallbackController(oauth)] };
  }
}

export { AuthModule } from './auth.module';
export { AccessToken } from './access-token.decorator';
export { Public } from './public.decorator';
export { NotSignedInError, SessionEndedError, SignInError, type SignInFailure } from './auth.errors';
export { WebexRetryInterceptor } from './webex-retry.interceptor';

export { AuthModule } from './auth.module';
export { Public } from './public.decorator';
export { SessionTokensService } from './session-tokens.service';
export { NotSignedInError, SessionEndedError, SignInError, type SignInFailure } from './auth.errors';

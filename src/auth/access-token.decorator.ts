import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { NotSignedInError } from './auth.errors';

/**
 * The signed-in person's Webex access token, fresh: the AuthGuard refreshed it when it was
 * about to expire, and the WebexRetryInterceptor re-reads it after a refresh caused by a 401.
 */
export const AccessToken = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const token = ctx.switchToHttp().getRequest<Request>().webexGrant?.accessToken;
  if (!token) throw new NotSignedInError();
  return token;
});

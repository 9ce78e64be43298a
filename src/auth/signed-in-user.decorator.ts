import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { SessionUser } from '../session';
import { NotSignedInError } from './auth.errors';

/** A handler parameter: who is signed in (routes behind the AuthGuard only). */
export const SignedInUser = createParamDecorator((_: unknown, context: ExecutionContext): SessionUser => {
  const user = context.switchToHttp().getRequest<Request>().session?.user;
  if (!user) throw new NotSignedInError();
  return user;
});

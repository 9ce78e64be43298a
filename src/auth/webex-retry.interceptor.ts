import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { catchError, from, Observable, switchMap, throwError } from 'rxjs';
import { WebexUnauthorizedError } from '../webex';
import { SessionTokensService } from './session-tokens.service';

/**
 * A 401 from Webex on a signed-in page means the access token died early (revoked, or the
 * clock lied): refresh once and run the handler again. A second 401 signs the person out.
 */
@Injectable()
export class WebexRetryInterceptor implements NestInterceptor {
  constructor(private readonly tokens: SessionTokensService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (!(error instanceof WebexUnauthorizedError) || !req.webexGrant) return throwError(() => error);
        return from(this.tokens.refresh(req)).pipe(
          // The handler reads the token again through @AccessToken(), so it gets the new one.
          switchMap(() => next.handle()),
          catchError((again: unknown) => {
            if (again instanceof WebexUnauthorizedError) this.tokens.endSignIn(req);
            return throwError(() => again);
          }),
        );
      }),
    );
  }
}

import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { CallArgs, WebexApiService, WebexGet, WebexList, WebexPage } from '../webex';
import { NotSignedInError } from './auth.errors';
import type { SessionTokensService } from './session-tokens.service';

/**
 * The Webex API as the signed-in person of one request: each call carries their access token, a
 * 401 refreshes it once and replays, a second 401 signs them out (SessionTokensService). Handlers
 * get it with `@Webex()`; the AuthGuard makes it once it has loaded the session's tokens.
 */
export class WebexClient {
  constructor(
    private readonly api: WebexApiService,
    private readonly tokens: SessionTokensService,
    private readonly req: Request,
  ) {}

  get<T, Path extends string, Q extends WebexGet['query']>(
    call: WebexGet<T, Path, Q>,
    args?: CallArgs<Path, Q>,
  ): Promise<T> {
    return this.tokens.withAccessToken(this.req, (token) => this.api.get(call, token, args));
  }

  list<T, Path extends string, Q extends WebexList['query']>(
    call: WebexList<T, Path, Q>,
    args?: CallArgs<Path, Q> & { limit?: number },
  ): Promise<WebexPage<T>> {
    return this.tokens.withAccessToken(this.req, (token) => this.api.list(call, token, args));
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The signed-in person's Webex client, set by the AuthGuard on every route that is not @Public(). */
    webex?: WebexClient;
  }
}

/** A handler parameter: the signed-in person's WebexClient (routes behind the AuthGuard only). */
export const Webex = createParamDecorator((_: unknown, context: ExecutionContext): WebexClient => {
  const client = context.switchToHttp().getRequest<Request>().webex;
  if (!client) throw new NotSignedInError();
  return client;
});

import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { oauthConfig } from '../config';
import { CrossSiteRequestError } from './auth.errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing requests that a browser sent on behalf of another site (CSRF), from
 * the Fetch Metadata header when the browser sends it, else from Origin (OWASP CSRF cheat sheet).
 * A request with neither did not come from a browser form on another site.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  constructor(@Inject(oauthConfig.KEY) private readonly config: ConfigType<typeof oauthConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (SAFE_METHODS.has(req.method)) return true;
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined) {
      if (site === 'same-origin' || site === 'none') return true;
      throw new CrossSiteRequestError();
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== this.config.publicOrigin) throw new CrossSiteRequestError();
    return true;
  }
}

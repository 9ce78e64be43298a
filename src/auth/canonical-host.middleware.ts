import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { NextFunction, Request, Response } from 'express';
import { oauthConfig } from '../config';

/**
 * Sends a browser that arrived on another host name (127.0.0.1 vs localhost) to the redirect
 * URI's origin before sign-in starts: cookies are per host name, so a session made on one host
 * would not come back with the callback on the other. The target comes from configuration only.
 */
@Injectable()
export class CanonicalHostMiddleware implements NestMiddleware {
  private readonly origin: URL;

  constructor(@Inject(oauthConfig.KEY) config: ConfigType<typeof oauthConfig>) {
    this.origin = new URL(config.publicOrigin);
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const hostname = hostnameOf(req.headers.host);
    if (hostname === undefined || hostname === this.origin.hostname) return next();
    const target = new URL(this.origin.href);
    // Setting pathname keeps the origin even for paths like "//evil.example".
    target.pathname = req.path;
    const query = req.originalUrl.indexOf('?');
    if (query >= 0) target.search = req.originalUrl.slice(query);
    res.redirect(302, target.href);
  }
}

export function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

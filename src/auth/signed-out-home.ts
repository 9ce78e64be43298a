import type { Express, NextFunction, Request, Response } from 'express';
import { withoutQuery } from '../logging/redaction';
import { carriesSessionCookie } from '../session';
import { hostnameOf } from './canonical-host.middleware';

export interface SignedOutHomeOptions {
  /** The session cookie's name: a request that carries it may be signed in. */
  cookieName: string;
  /** The redirect URI's host name: another host is sent there by CanonicalHostMiddleware. */
  canonicalHostname: string;
}

const HOME_PATHS: ReadonlySet<string> = new Set(['/', '/index.html']);

/**
 * The signed-out home page is the same bytes for every visitor without a session, and it is the
 * page most visitors (and every load balancer probe pointed at `/`) ask for. Rendered once, it is
 * answered here, after the request id and security headers but before the Nest pipeline, which
 * costs about ten times the page itself (bench/RESULTS.md).
 *
 * Anything that could make the answer differ goes the normal way, to AuthController.home: a
 * session cookie (signed in, or a notice to show), another host name (redirected), another method
 * or path. Not used when request lines are logged (they come from the Nest pipeline's logger) or
 * in development (views are edited while the service runs).
 */
export function signedOutHomeMiddleware(views: Pick<Express, 'render'>, options: SignedOutHomeOptions) {
  let page: Promise<Buffer | undefined> | undefined;

  const render = (): Promise<Buffer | undefined> =>
    new Promise((resolve) => {
      // The same view and locals AuthController.home renders for a visitor without a session.
      views.render('index', { title: 'Home' }, (error: Error | null, html?: string) =>
        resolve(error || html === undefined ? undefined : Buffer.from(html)),
      );
    });

  return (req: Request, res: Response, next: NextFunction): void => {
    if (
      (req.method !== 'GET' && req.method !== 'HEAD') ||
      !HOME_PATHS.has(withoutQuery(req.url)) ||
      carriesSessionCookie(req, options.cookieName) ||
      hostnameOf(req.headers.host) !== options.canonicalHostname
    ) {
      return next();
    }
    page ??= render();
    page.then(
      (body) => {
        // A view that failed to render is left to the controller, which shows the error page.
        if (!body) return next();
        res.statusCode = 200;
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.setHeader('Content-Length', body.length);
        res.setHeader('Cache-Control', 'no-store');
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => next(),
    );
  };
}

import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestIdOf } from '../logging';
import { NotSignedInError, safeReturnPath } from '../auth';
import { presentError } from './error-presentation';
import { logBugOrEndStarted } from './unanswerable';

/**
 * The edge for every failure: an error page (error.hbs) for browsers, a JSON error for clients
 * that ask for JSON, a redirect for "sign in first". Never a stack trace, never the raw message.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const view = presentError(exception);
    // Quoted by the person to support, it finds this request's lines in the log.
    const requestId = requestIdOf(req);

    if (logBugOrEndStarted(this.logger, view.status, exception, req, res)) return;

    const wantsJson = req.accepts(['html', 'json']) === 'json';
    if (view.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(view.retryAfterSeconds));
    res.setHeader('Cache-Control', 'no-store');

    if (view.redirectTo && !wantsJson) {
      // The home page says why, and its sign-in comes back here. The path travels in the URL, not
      // in a session: a signed-out visit stores nothing (no store to fill by asking for pages).
      const returnTo =
        exception instanceof NotSignedInError && req.method === 'GET' ? safeReturnPath(req.originalUrl) : undefined;
      res.redirect(303, returnTo ? `${view.redirectTo}?next=${encodeURIComponent(returnTo)}` : view.redirectTo);
      return;
    }
    if (wantsJson) {
      res.status(view.status).json({
        statusCode: view.status,
        error: view.title,
        message: view.message,
        ...(view.retryAfterSeconds !== undefined ? { retryAfter: view.retryAfterSeconds } : {}),
        ...(view.trackingId ? { trackingId: view.trackingId } : {}),
        ...(requestId ? { requestId } : {}),
      });
      return;
    }
    res.status(view.status).render(
      'error',
      {
        title: view.title,
        status: view.status,
        message: view.message,
        trackingId: view.trackingId,
        requestId,
      },
      (renderError: Error | null, html?: string) => {
        if (renderError) {
          this.logger.error(`error page could not be rendered: ${renderError.message}`);
          res.type('text/plain').send(`${view.status} ${view.message}`);
          return;
        }
        res.type('html').send(html);
      },
    );
  }
}

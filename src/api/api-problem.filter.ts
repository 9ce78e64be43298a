import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { logBugOrEndStarted, presentError } from '../common';
import { requestIdOf, withoutQuery } from '../logging';
import { WebexRateLimitedError } from '../webex';
import { InvalidInputError } from './api.errors';
import type { ProblemDto } from './api.dto';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem types are identifiers (RFC 9457 §3.1.1 allows a non-resolvable URI): clients switch on them. */
const TYPE_BASE = 'urn:webex-oauth-service:problem:';

/**
 * Every failure of an API handler (and of the guards before it) as RFC 9457 problem details.
 * The words come from the same presentError as the pages, so the two faces never disagree; what
 * differs is the form: never a redirect (a script cannot follow one to a sign-in page), never HTML.
 */
@Catch()
export class ApiProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const problem = toProblem(exception, req);
    if (logBugOrEndStarted(this.logger, problem.status, exception, req, res)) return;
    if (problem.retryAfter !== undefined) res.setHeader('Retry-After', String(problem.retryAfter));
    res.setHeader('Cache-Control', 'no-store');
    res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }
}

export function toProblem(exception: unknown, req: Request): ProblemDto {
  const requestId = requestIdOf(req);
  if (exception instanceof InvalidInputError) {
    return {
      type: `${TYPE_BASE}invalid-input`,
      title: 'Invalid input',
      status: 400,
      detail: `Check ${exception.fields.map((f) => f.field).join(', ')}.`,
      instance: withoutQuery(req.originalUrl),
      errors: exception.fields.map(({ field, message }) => ({ field, message })),
      ...(requestId ? { requestId } : {}),
    };
  }
  const view = presentError(exception);
  // The pages answer Webex's "slow down" with 503 (a person just waits); a script should see the
  // 429 it can back off on. The service's own limits (sign-in throttle) are 429 already.
  const status = exception instanceof WebexRateLimitedError ? 429 : view.status;
  const retryAfter = view.retryAfterSeconds ?? (exception instanceof ThrottlerException ? 60 : undefined);
  return {
    type: `${TYPE_BASE}${slug(view.title, status)}`,
    title: view.title,
    status,
    detail: view.message,
    instance: withoutQuery(req.originalUrl),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
    ...(view.trackingId ? { trackingId: view.trackingId } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

function slug(title: string, status: number): string {
  return `${status}-${title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')}`;
}

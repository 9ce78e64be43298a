import type { ArgumentsHost } from '@nestjs/common';
import { Logger, NotFoundException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { CrossSiteRequestError, NotSignedInError, SessionEndedError } from '../auth/auth.errors';
import { GrantBusyError } from '../session/grant.store';
import { StoreUnavailableError } from '../session/store-unavailable.error';
import { WebexRateLimitedError, WebexUnavailableError } from '../webex/webex.errors';
import { InvalidInputError } from './api.errors';
import { ApiProblemFilter } from './api-problem.filter';

function answer(exception: unknown, headersSent = false) {
  const req = { id: 'req-1', method: 'GET', path: '/api/v1/me', originalUrl: '/api/v1/me?x=1' } as unknown as Request;
  const headers: Record<string, string> = {};
  const sent: { status?: number; type?: string; body?: string; ended: boolean } = { ended: false };
  const res = {
    headersSent,
    setHeader: (name: string, value: string) => (headers[name] = value),
    status(code: number) {
      sent.status = code;
      return this;
    },
    type(type: string) {
      sent.type = type;
      return this;
    },
    send: (body: string) => (sent.body = body),
    end: () => (sent.ended = true),
    redirect: () => {
      throw new Error('the API never redirects');
    },
  } as unknown as Response;
  const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) } as ArgumentsHost;
  new ApiProblemFilter().catch(exception, host);
  return { ...sent, headers, problem: sent.body ? (JSON.parse(sent.body) as Record<string, unknown>) : undefined };
}

describe(ApiProblemFilter.name, () => {
  let logged: jest.SpyInstance;
  beforeEach(() => (logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined)));
  afterEach(() => logged.mockRestore());

  it.each([
    ['not signed in', new NotSignedInError(), 401, undefined],
    ['a sign-in that ended', new SessionEndedError(), 401, undefined],
    ['a cross-site request', new CrossSiteRequestError(), 403, undefined],
    ['an unknown route', new NotFoundException(), 404, undefined],
    ['Webex rate-limiting', new WebexRateLimitedError('GET /rooms', 429, 'ROUTER_1', 9), 429, '9'],
    ['the service’s own rate limit', new ThrottlerException(), 429, '60'],
    ['a session store that is down', new StoreUnavailableError(), 503, '5'],
    ['a refresh in progress elsewhere', new GrantBusyError(), 503, '1'],
    ['Webex down', new WebexUnavailableError('x', 'GET /rooms', 500, 'ROUTER_2'), 502, undefined],
    ['our own bug', new TypeError('x is undefined'), 500, undefined],
  ])('answers %s as a %d problem (Retry-After %s), never a redirect', (_name, exception, status, retryAfter) => {
    const sent = answer(exception);

    expect(sent.status).toBe(status);
    expect(sent.type).toBe('application/problem+json');
    expect(sent.headers['Retry-After']).toBe(retryAfter);
    expect(sent.headers['Cache-Control']).toBe('no-store');
    expect(sent.problem).toEqual(
      expect.objectContaining({
        type: expect.stringMatching(new RegExp(`^urn:webex-oauth-service:problem:${status}-[a-z-]+$`)),
        status,
        title: expect.any(String),
        detail: expect.any(String),
        instance: '/api/v1/me',
        requestId: 'req-1',
      }),
    );
    if (retryAfter) expect(sent.problem?.retryAfter).toBe(Number(retryAfter));
    expect(sent.body).not.toContain('x is undefined');
    // Only our own bugs go to the error log, with their stack.
    expect(logged).toHaveBeenCalledTimes(status === 500 ? 1 : 0);
  });

  it('carries Webex’s trackingId', () => {
    expect(answer(new WebexUnavailableError('x', 'GET /rooms', 500, 'ROUTER_2')).problem?.trackingId).toBe('ROUTER_2');
  });

  it('names each refused field', () => {
    const sent = answer(new InvalidInputError([{ field: 'limit', message: 'limit must be at most 100' }]));

    expect(sent.status).toBe(400);
    expect(sent.problem).toEqual(
      expect.objectContaining({
        type: 'urn:webex-oauth-service:problem:invalid-input',
        errors: [{ field: 'limit', message: 'limit must be at most 100' }],
      }),
    );
  });

  it('only ends an answer that has already started', () => {
    const sent = answer(new NotSignedInError(), true);

    expect(sent.ended).toBe(true);
    expect(sent.body).toBeUndefined();
  });
});

import { BadRequestException, ForbiddenException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { NotSignedInError, SessionEndedError, SignInError } from '../auth/auth.errors';
import {
  WebexBadResponseError,
  WebexForbiddenError,
  WebexNotFoundError,
  WebexRateLimitedError,
  WebexRejectedError,
  WebexUnauthorizedError,
  WebexUnavailableError,
} from '../webex/webex.errors';
import { presentError } from './error-presentation';

describe(presentError.name, () => {
  it.each([
    [new SignInError('access_denied'), 'Sign-in declined'],
    [new SignInError('state_mismatch'), 'Sign-in expired'],
    [new SignInError('unexpected_parameters'), 'Sign-in link not valid'],
    [new NotFoundException(), 'Page not found'],
    [new ForbiddenException(), 'Request refused'],
    [new BadRequestException(), 'Request not understood'],
  ])('names the kind of failure in its title: %s → %s', (error, title) => {
    expect(presentError(error).title).toBe(title);
  });

  it.each([new SignInError('access_denied'), new SignInError('server_error'), new SignInError('state_mismatch')])(
    'speaks in the person’s words, not the console’s (%s)',
    (error) => {
      expect(presentError(error).message).not.toMatch(/bye\.|ignoring\.\.\.|aborting\.\.\./);
    },
  );

  it.each([
    ['a declined sign-in', new SignInError('access_denied', 'access_denied'), 403, /declined/],
    ['an invalid scope', new SignInError('invalid_scope', 'invalid_scope'), 400, /invalid scope/],
    ['a Webex server_error', new SignInError('server_error', 'server_error'), 400, /problem on its side/],
    [
      'another OAuth error',
      new SignInError('other_error', 'temporarily_unavailable'),
      400,
      /does not handle.*temporarily_unavailable/,
    ],
    ['missing parameters', new SignInError('unexpected_parameters'), 400, /incomplete or had unexpected parts/],
    ['a state mismatch', new SignInError('state_mismatch'), 400, /does not match the one started in this browser/],
    ['a refused code', new SignInError('code_rejected'), 400, /did not accept the sign-in code/],
    ['Webex down', new WebexUnavailableError('x', 'GET /rooms', 503, 'ROUTER_1'), 502, /could not be reached/],
    ['Webex garbage', new WebexBadResponseError('x', 'GET /rooms', 200), 502, /could not read/],
    [
      'a Webex 403, naming the scope the call needs',
      new WebexForbiddenError('x', 'GET /rooms', 403, 'ROUTER_2', 'spark:rooms_read'),
      403,
      /refused this request \(it needs the spark:rooms_read scope\).*developer\.webex\.com/,
    ],
    ['a Webex 404', new WebexNotFoundError('x', 'GET /rooms/{roomId}', 404), 404, /not shared with you/],
    [
      'a Webex 401 that was not handled',
      new WebexUnauthorizedError('x', 'GET /rooms', 401),
      502,
      /could not be reached/,
    ],
    ['a Webex 4xx the service has no answer for', new WebexRejectedError('x', 'GET /rooms', 405), 502, /configuration/],
    ['an unknown route', new NotFoundException(), 404, /no page/],
    ['a bad request body', new BadRequestException(), 400, /could not be understood/],
    ['a body too large', new PayloadTooLargeException(), 413, /too large/],
    ['a bug', new TypeError('secret detail'), 500, /went wrong on our side/],
  ])('shows %s with the right status and words', (_case, error, status, message) => {
    const view = presentError(error);
    expect(view.status).toBe(status);
    expect(view.message).toMatch(message);
    expect(view.message).not.toContain('secret detail');
  });

  it('answers a rate limit with 503 and its Retry-After', () => {
    expect(presentError(new WebexRateLimitedError('GET /rooms', 429, 'ROUTER_9', 7))).toMatchObject({
      status: 503,
      retryAfterSeconds: 7,
      trackingId: 'ROUTER_9',
      message: expect.stringContaining('7 seconds'),
    });
  });

  it('keeps the Webex tracking id for support', () => {
    expect(presentError(new WebexUnavailableError('x', 'GET /rooms', 500, 'ROUTER_ABC')).trackingId).toBe('ROUTER_ABC');
  });

  it.each([new NotSignedInError(), new SessionEndedError()])('sends %p home', (error) => {
    expect(presentError(error)).toMatchObject({ status: 401, redirectTo: '/' });
  });
});

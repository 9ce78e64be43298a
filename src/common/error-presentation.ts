import { HttpException } from '@nestjs/common';
import {
  CrossSiteRequestError,
  FeatureUnavailableError,
  NotSignedInError,
  SessionEndedError,
  SignInError,
  type SignInFailure,
} from '../auth';
import { GrantBusyError, StoreUnavailableError } from '../session';
import { WebexApiError, WebexForbiddenError, WebexNotFoundError, WebexRateLimitedError } from '../webex';

/** What a person (or a JSON client) is told about a failure. Never the error's own message. */
export interface ErrorPresentation {
  status: number;
  title: string;
  message: string;
  retryAfterSeconds?: number;
  trackingId?: string;
  /** Set for errors that are answered by sending a browser elsewhere (303). */
  redirectTo?: string;
}

const PREFIX = 'OAuth Integration could not complete.';

const AGAIN = 'To try again, start from the home page and choose “Start OAuth flow”.';

const SIGN_IN_MESSAGES: Record<SignInFailure, { status: number; title: string; message: string }> = {
  access_denied: {
    status: 403,
    title: 'Sign-in declined',
    message: `${PREFIX} You declined the request to share your Webex data, so you are not signed in. ${AGAIN}`,
  },
  invalid_scope: {
    status: 400,
    title: 'Sign-in not set up',
    message: `${PREFIX} The application requested an invalid scope: the integration on developer.webex.com must include every scope this service asks for. Whoever runs this service can add them there.`,
  },
  server_error: {
    status: 400,
    title: 'Webex sign-in failed',
    message: `${PREFIX} Webex had a problem on its side while signing you in. ${AGAIN}`,
  },
  other_error: {
    status: 400,
    title: 'Sign-in failed',
    message: `${PREFIX} Webex reported an error this service does not handle. ${AGAIN}`,
  },
  unexpected_parameters: {
    status: 400,
    title: 'Sign-in link not valid',
    message: `${PREFIX} The address Webex sent you back with was incomplete or had unexpected parts, so it was refused. ${AGAIN}`,
  },
  state_mismatch: {
    status: 400,
    title: 'Sign-in expired',
    message: `${PREFIX} This sign-in does not match the one started in this browser: the sign-in link may have expired or been used already. ${AGAIN}`,
  },
  code_rejected: {
    status: 400,
    title: 'Sign-in code refused',
    message: `${PREFIX} Webex did not accept the sign-in code (it may have expired or been used already). ${AGAIN}`,
  },
  not_verified: {
    status: 400,
    title: 'Sign-in not verified',
    message: `We could not verify your sign-in with Webex, so it did not go through. ${AGAIN} If it keeps happening, tell whoever runs this service.`,
  },
};

/** What a person is told for a client error, by status: a title for the page, and what to do. */
const CLIENT_ERRORS: Record<number, { title: string; message: string }> = {
  400: { title: 'Request not understood', message: 'The request could not be understood.' },
  401: { title: 'Not signed in', message: 'Please sign in first.' },
  403: { title: 'Request refused', message: 'This request is not allowed.' },
  404: {
    title: 'Page not found',
    message: 'There is no page at this address. Check the address, or go back to the home page.',
  },
  405: { title: 'Method not allowed', message: 'This method is not allowed here.' },
  413: { title: 'Request too large', message: 'The request is too large.' },
  414: { title: 'Address too long', message: 'The address is too long.' },
  429: { title: 'Too many requests', message: 'Too many requests. Please wait a moment and try again.' },
};

const OTHER_CLIENT_ERROR = { title: 'Request not accepted', message: 'The request was not accepted.' };

export function presentError(error: unknown): ErrorPresentation {
  if (error instanceof NotSignedInError) {
    return { status: 401, title: 'Not signed in', message: 'Please sign in first.', redirectTo: '/' };
  }
  if (error instanceof SessionEndedError) {
    return {
      status: 401,
      title: 'Signed out',
      message: 'Your Webex sign-in has expired. Please sign in again.',
      redirectTo: '/',
    };
  }
  if (error instanceof SignInError) {
    const { status, title, message } = SIGN_IN_MESSAGES[error.reason];
    const detail = error.reason === 'other_error' && error.oauthError ? ` (error: ${error.oauthError})` : '';
    return { status, title, message: message + detail };
  }
  if (error instanceof FeatureUnavailableError) {
    const scopes = error.missingScopes.join(' ');
    return {
      status: 403,
      title: 'Not available',
      message: `${error.label} needs the Webex scope ${scopes}, which this integration does not have. To turn it on, add ${scopes} to the integration on developer.webex.com, copy its new authorize URL into AUTH_INIT_URL, restart and sign in again.`,
    };
  }
  if (error instanceof CrossSiteRequestError) {
    return {
      status: 403,
      title: 'Refused',
      message: 'This request came from another site and was refused. Use the buttons on this site.',
    };
  }
  if (error instanceof StoreUnavailableError) {
    return {
      status: 503,
      title: 'Unavailable',
      message: 'Sessions are unavailable right now, so we cannot tell who you are. Please try again in a moment.',
      retryAfterSeconds: 5,
    };
  }
  if (error instanceof GrantBusyError) {
    return {
      status: 503,
      title: 'Busy',
      message: 'Your sign-in is being renewed. Please try again in a moment.',
      retryAfterSeconds: 1,
    };
  }
  if (error instanceof WebexRateLimitedError) {
    return {
      status: 503,
      title: 'Webex is busy',
      message: `Webex asked us to slow down. Please try again in ${error.retryAfterSeconds} second${error.retryAfterSeconds === 1 ? '' : 's'}.`,
      retryAfterSeconds: error.retryAfterSeconds,
      trackingId: error.trackingId,
    };
  }
  if (error instanceof WebexNotFoundError) {
    return {
      status: 404,
      title: 'Not found',
      message: 'Webex has nothing at this address for you: it does not exist, or it is not shared with you.',
      trackingId: error.trackingId,
    };
  }
  if (error instanceof WebexForbiddenError) {
    const scope = error.scope ? ` (it needs the ${error.scope} scope)` : '';
    return {
      status: 403,
      title: 'Refused by Webex',
      message: `Webex refused this request${scope}. Your Webex account may not be allowed to see it, or the integration on developer.webex.com lacks the scope: add it there and sign in again.`,
      trackingId: error.trackingId,
    };
  }
  if (error instanceof WebexApiError) {
    const message =
      error.kind === 'bad-response'
        ? 'Webex sent an answer this service could not read. Please try again in a moment.'
        : error.kind === 'rejected'
          ? 'Webex refused the request from this service. Please try again; if it keeps happening, check the integration’s configuration.'
          : 'Webex could not be reached or failed to answer. Please try again in a moment.';
    return { status: 502, title: 'Webex failed', message, trackingId: error.trackingId };
  }
  // Nest's HttpException, or an error from Express middleware (bad URIs) with an http-errors status.
  const status =
    error instanceof HttpException
      ? error.getStatus()
      : typeof error === 'object' && error !== null
        ? (error as { status?: unknown }).status
        : undefined;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, ...(CLIENT_ERRORS[status] ?? OTHER_CLIENT_ERROR) };
  }
  return { status: 500, title: 'Something went wrong', message: 'Something went wrong on our side. Please try again.' };
}

/** Why a sign-in could not complete; the edge turns each into a page with its status. */
export type SignInFailure =
  | 'access_denied'
  | 'invalid_scope'
  | 'server_error'
  | 'other_error'
  | 'unexpected_parameters'
  | 'state_mismatch'
  | 'code_rejected'
  /** Login with Webex: the id_token (or the callback's `iss`) did not pass a check; the log names it. */
  | 'not_verified';

export class SignInError extends Error {
  constructor(
    readonly reason: SignInFailure,
    /** The OAuth error code Webex sent, when it is one (letters, digits, _ . -). */
    readonly oauthError?: string,
  ) {
    super(`Sign-in failed: ${reason}`);
    this.name = 'SignInError';
  }
}

/** A protected page was asked for without a signed-in session. */
export class NotSignedInError extends Error {
  constructor() {
    super('Not signed in');
    this.name = 'NotSignedInError';
  }
}

/** The session's Webex grant is gone (refresh refused, or a second 401): the person must sign in again. */
export class SessionEndedError extends Error {
  constructor() {
    super('Webex sign-in ended');
    this.name = 'SessionEndedError';
  }
}

/** A state-changing request sent by a browser on behalf of another site. */
export class CrossSiteRequestError extends Error {
  constructor() {
    super('Cross-site request refused');
    this.name = 'CrossSiteRequestError';
  }
}

/** A feature whose Webex scopes the integration does not grant (see @Feature). */
export class FeatureUnavailableError extends Error {
  constructor(
    readonly label: string,
    readonly missingScopes: readonly string[],
  ) {
    super(`${label} is unavailable`);
    this.name = 'FeatureUnavailableError';
  }
}

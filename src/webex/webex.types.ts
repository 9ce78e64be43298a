/** Items of a list call, and whether Webex had more than the cap let through. */
export interface WebexPage<T> {
  items: T[];
  /** True when the list stopped at the cap while Webex had more. */
  truncated: boolean;
}

export interface WebexTokens {
  accessToken: string;
  refreshToken: string;
  /** Absolute times in epoch milliseconds, computed from Webex's expires_in. */
  accessTokenExpiresAt: number;
  refreshTokenExpiresAt?: number;
  /** Login with Webex: the id_token of a code exchange, verified at sign-in and never stored. */
  idToken?: string;
}

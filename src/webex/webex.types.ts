/** The parts of Webex's answers this service reads; Webex sends more. */
export interface WebexPerson {
  id: string;
  displayName: string;
  emails?: string[];
  avatar?: string;
}

export type WebexRoomType = 'direct' | 'group';

export interface WebexRoom {
  id: string;
  title: string;
  type: WebexRoomType;
  lastActivity?: string;
  created?: string;
}

export interface WebexRoomList {
  rooms: WebexRoom[];
  /** True when the list stopped at the configured cap while Webex had more. */
  truncated: boolean;
}

export interface WebexTokens {
  accessToken: string;
  refreshToken: string;
  /** Absolute times in epoch milliseconds, computed from Webex's expires_in. */
  accessTokenExpiresAt: number;
  refreshTokenExpiresAt?: number;
}

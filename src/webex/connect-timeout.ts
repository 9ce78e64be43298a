/**
 * The code WebexApiService gives a connection that was not established in time (undici's
 * UND_ERR_CONNECT_TIMEOUT, bounded by `webex.connectTimeoutMs`): the retry policy retries it, the
 * log says "connect timed out".
 */
export const CONNECT_TIMEOUT_CODE = 'ECONNECT_TIMEOUT';

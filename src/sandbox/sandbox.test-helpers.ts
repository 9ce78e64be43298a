import { createHash, randomBytes } from 'node:crypto';
import { WEBEX_CALL_SCOPES } from '../webex/webex.calls';
import type { EmulatorClient, EmulatorOptions, IssuedTokens, WebexEmulator } from './emulator.types';
import { startWebexEmulator } from './webex-emulator';

// Shared by the sandbox specs only. Plain fetch, so it needs nothing from Jest.

export const CLIENT: EmulatorClient = {
  clientId: 'test-client',
  clientSecret: 'test-secret',
  redirectUris: ['http://localhost:8080/oauth', 'http://app.test:3000/cb?tenant=blue'],
  // Every scope a declared Webex call needs (a new call's emulator test works as it is), and Login with Webex's.
  scopes: [...WEBEX_CALL_SCOPES, 'spark:kms', 'openid', 'email', 'profile'],
};
export const OTHER_CLIENT: EmulatorClient = {
  clientId: 'other-client',
  clientSecret: 'other-secret',
  redirectUris: ['http://localhost:9090/oauth'],
  scopes: ['spark:people_read'],
};
export const REDIRECT_URI = CLIENT.redirectUris[0];
export const CONSENT_TX = /<input type="hidden" name="tx" value="([^"]+)">/;

export function startTestEmulator(options: Partial<EmulatorOptions> = {}): Promise<WebexEmulator> {
  return startWebexEmulator({ clients: [CLIENT, OTHER_CLIENT], ...options });
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(emulator: WebexEmulator, params: Record<string, string | undefined> = {}): string {
  const url = new URL(`${emulator.apiBaseUrl}/authorize`);
  const all: Record<string, string | undefined> = {
    client_id: CLIENT.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'spark:people_read spark:rooms_read',
    state: 'state-123',
    ...params,
  };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}

export function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers });
}

export function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual', headers });
}

/** GET the consent page and pull out its transaction id. */
export async function consentTx(
  emulator: WebexEmulator,
  params: Record<string, string | undefined> = {},
): Promise<string> {
  const res = await get(authorizeUrl(emulator, params));
  const tx = CONSENT_TX.exec(await res.text())?.[1];
  if (res.status !== 200 || !tx) throw new Error(`no consent page (HTTP ${res.status})`);
  return tx;
}

/** The browser dance in two requests: consent page, then Accept. Returns the redirect's query. */
export async function authorize(
  emulator: WebexEmulator,
  params: Record<string, string | undefined> = {},
  user = 'alice',
): Promise<URLSearchParams> {
  const tx = await consentTx(emulator, params);
  const res = await postForm(`${emulator.apiBaseUrl}/authorize`, { tx, user, decision: 'accept' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`consent not accepted (HTTP ${res.status})`);
  return new URL(location).searchParams;
}

export function tokenRequest(
  emulator: WebexEmulator,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return postForm(`${emulator.apiBaseUrl}/access_token`, form, headers);
}

export function exchangeCode(
  emulator: WebexEmulator,
  code: string,
  extra: Record<string, string> = {},
): Promise<Response> {
  return tokenRequest(emulator, {
    grant_type: 'authorization_code',
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
    code,
    redirect_uri: REDIRECT_URI,
    ...extra,
  });
}

export function refresh(emulator: WebexEmulator, refreshToken: string): Promise<Response> {
  return tokenRequest(emulator, {
    grant_type: 'refresh_token',
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
    refresh_token: refreshToken,
  });
}

export function callApi(emulator: WebexEmulator, path: string, tokens: IssuedTokens | string): Promise<Response> {
  const token = typeof tokens === 'string' ? tokens : tokens.access_token;
  return get(`${emulator.apiBaseUrl}${path}`, { authorization: `Bearer ${token}` });
}

/** The target of a Link: <...>; rel="next" header, if any. */
export function nextLink(res: Response): string | undefined {
  return /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
}

import request, { type Response } from 'supertest';
import type { WebexEmulator } from '../../src/sandbox';
import type { SeedHandle } from './emulator';

type Agent = request.Agent;
type Pending = ReturnType<Agent['get']>;

export interface AppRequestOptions {
  /** The Host header the browser sends to the app (e.g. localhost:8080 in sandbox mode). */
  host?: string;
  /** Where sign-in starts: the home page's link, `/login` or `/login?next=…`. */
  loginPath?: string;
}

function onHost<T extends Pending>(test: T, options: AppRequestOptions): T {
  return options.host ? test.set('Host', options.host) : test;
}

/** GET path on the app as this browser. */
export function visit(agent: Agent, path: string, options: AppRequestOptions = {}): Pending {
  return onHost(agent.get(path), options);
}

export interface StartedLogin {
  response: Response;
  authorizeUrl: URL;
  state: string;
}

/** GET /login: the app sends the browser to Webex's authorize endpoint. */
export async function startLogin(agent: Agent, options: AppRequestOptions = {}): Promise<StartedLogin> {
  const response = await visit(agent, options.loginPath ?? '/login', options);
  if (response.status !== 302 || typeof response.headers.location !== 'string') {
    throw new Error(`GET /login answered ${response.status}, not a redirect to Webex`);
  }
  const authorizeUrl = new URL(response.headers.location);
  return { response, authorizeUrl, state: authorizeUrl.searchParams.get('state') ?? '' };
}

/**
 * A request to the emulator as a browser would make it. `localhost` is dialled as 127.0.0.1
 * (the emulator listens on IPv4 loopback), with the Host header the browser would send.
 */
function toEmulator(url: URL): { client: Agent; path: string; host: string } {
  const target = new URL(url.href);
  if (target.hostname === 'localhost') target.hostname = '127.0.0.1';
  return { client: request(target.origin), path: target.pathname + target.search, host: url.host };
}

/** The browser opens the authorize URL at Webex. */
export function openAuthorize(authorizeUrl: URL): Promise<Response> {
  const { client, path, host } = toEmulator(authorizeUrl);
  return client.get(path).set('Host', host);
}

/** The person picks a seeded user on Webex's consent page and accepts (or declines); returns where Webex sends the browser. */
export async function consent(
  authorizeUrl: URL,
  handle: SeedHandle,
  decision: 'accept' | 'decline' = 'accept',
): Promise<URL> {
  const page = await openAuthorize(authorizeUrl);
  if (page.status !== 200)
    throw new Error(`the authorize page answered ${page.status} (${page.headers.location ?? page.text.slice(0, 200)})`);
  const tx = /<input type="hidden" name="tx" value="([^"]+)">/.exec(page.text)?.[1];
  if (!tx) throw new Error('the consent page has no tx field');
  if (!new RegExp(`name="user" value="${handle}"`).test(page.text))
    throw new Error(`the consent page does not offer ${handle}`);
  const { client, host } = toEmulator(authorizeUrl);
  const answer = await client.post('/v1/authorize').set('Host', host).type('form').send({ tx, user: handle, decision });
  if (answer.status !== 302 || typeof answer.headers.location !== 'string') {
    throw new Error(`POST /v1/authorize answered ${answer.status}`);
  }
  return new URL(answer.headers.location);
}

/** The browser follows Webex's redirect back to the app's redirect URI. */
export function followCallback(agent: Agent, callbackUrl: URL, options: AppRequestOptions = {}): Pending {
  return visit(agent, callbackUrl.pathname + callbackUrl.search, options);
}

/** A callback URL on the app's redirect URI path with the given query (for forged callbacks). */
export function callbackPath(query: Record<string, string>, path = '/oauth'): string {
  const search = new URLSearchParams(query).toString();
  return search ? `${path}?${search}` : path;
}

/**
 * The whole sign-in as a browser walks it: /login → Webex consent as `handle` → callback.
 * Returns the app's answer to the callback (303 to / when it worked).
 */
export async function signIn(
  agent: Agent,
  emulator: WebexEmulator | undefined,
  handle: SeedHandle,
  options: AppRequestOptions = {},
): Promise<Response> {
  const { authorizeUrl } = await startLogin(agent, options);
  if (emulator && authorizeUrl.origin !== emulator.origin) {
    throw new Error(`/login sent the browser to ${authorizeUrl.origin}, not to the emulator at ${emulator.origin}`);
  }
  const callbackUrl = await consent(authorizeUrl, handle);
  return followCallback(agent, callbackUrl, options);
}

/** signIn, and fail loudly unless it worked: for suites whose subject is what comes after. */
export async function signedIn(
  agent: Agent,
  emulator: WebexEmulator | undefined,
  handle: SeedHandle,
  options: AppRequestOptions = {},
): Promise<Agent> {
  const response = await signIn(agent, emulator, handle, options);
  if (response.status !== 303 || response.headers.location !== '/') {
    throw new Error(
      `sign-in as ${handle} answered ${response.status} ${response.headers.location ?? ''}: ${response.text.slice(0, 300)}`,
    );
  }
  return agent;
}

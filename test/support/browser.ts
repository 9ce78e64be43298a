import type { Server } from 'node:http';
import request, { type Response } from 'supertest';
import { openAuthorize, consent } from './flow';
import type { SeedHandle } from './emulator';

export interface RequestOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** Anything with an HTTP server to send requests to: a BootedApp is one. */
export interface Instance {
  server: Server;
}

/**
 * A browser with one cookie jar in front of several instances of the service, as behind a load
 * balancer: each request goes to the instance the test names, with the cookies collected so far.
 * (A supertest agent is bound to one app, so it cannot show a session moving between instances.)
 */
export class Browser {
  private readonly jar = new Map<string, string>();

  /** The Cookie header this browser sends, if it has any cookie. */
  get cookieHeader(): string | undefined {
    if (this.jar.size === 0) return undefined;
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  /** GET `path` on `on`; with `timeoutMs`, a request that gets no answer in time fails instead of waiting on. */
  async get(on: Instance, path: string, options: RequestOptions = {}): Promise<Response> {
    let test = request(on.server).get(path);
    const cookie = this.cookieHeader;
    if (cookie) test = test.set('Cookie', cookie);
    for (const [name, value] of Object.entries(options.headers ?? {})) test = test.set(name, value);
    if (options.timeoutMs !== undefined) test = test.timeout(options.timeoutMs);
    const response = await test;
    this.keep(response);
    return response;
  }

  /** GET /login on `on`: returns the Webex authorize URL the browser is sent to. */
  async startLogin(on: Instance): Promise<URL> {
    const response = await this.get(on, '/login');
    if (response.status !== 302 || typeof response.headers.location !== 'string') {
      throw new Error(`GET /login answered ${response.status}, not a redirect to Webex`);
    }
    return new URL(response.headers.location);
  }

  /** /login on `start`, consent at Webex as `handle`; returns the callback path (not yet followed). */
  async consentedCallback(start: Instance, handle: SeedHandle): Promise<string> {
    const callbackUrl = await consent(await this.startLogin(start), handle);
    return callbackUrl.pathname + callbackUrl.search;
  }

  /**
   * The whole sign-in, started on `start` and finished (callback) on `finish`. With an emulator
   * that consents by itself (autoConsentUser) pass no handle. Throws unless it worked.
   */
  async signIn(start: Instance, finish: Instance, handle?: SeedHandle): Promise<Response> {
    let callback: string;
    if (handle) {
      callback = await this.consentedCallback(start, handle);
    } else {
      const authorize = await openAuthorize(await this.startLogin(start));
      if (authorize.status !== 302 || typeof authorize.headers.location !== 'string') {
        throw new Error(
          `the authorize endpoint answered ${authorize.status}, not a redirect back (no autoConsentUser?)`,
        );
      }
      const callbackUrl = new URL(authorize.headers.location);
      callback = callbackUrl.pathname + callbackUrl.search;
    }
    const response = await this.get(finish, callback);
    if (response.status !== 303 || response.headers.location !== '/') {
      throw new Error(`the sign-in callback answered ${response.status}: ${response.text.slice(0, 300)}`);
    }
    return response;
  }

  private keep(response: Response): void {
    const raw = response.headers['set-cookie'] as unknown;
    const headers = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
    for (const header of headers) {
      const [pair, ...attributes] = header.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const expired = attributes.some((attribute) => {
        const [key, value = ''] = attribute.split('=');
        if (/^max-age$/i.test(key)) return Number(value) <= 0;
        if (/^expires$/i.test(key)) return new Date(value).getTime() <= Date.now();
        return false;
      });
      if (expired) this.jar.delete(name);
      else this.jar.set(name, pair.slice(eq + 1));
    }
  }
}

/** The session id inside a signed express-session cookie value (`s:<id>.<signature>`, URL-encoded). */
export function sessionIdOf(cookieValue: string): string {
  const decoded = decodeURIComponent(cookieValue);
  if (!decoded.startsWith('s:') || !decoded.includes('.')) throw new Error('not a signed session cookie');
  return decoded.slice(2, decoded.lastIndexOf('.'));
}

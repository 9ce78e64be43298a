import { startWebexEmulator, type EmulatorOptions, type WebexEmulator } from '../../src/sandbox';
import { WEBEX_CALL_SCOPES } from '../../src/webex';

/** The integration every suite registers with its emulator, as a developer would on the portal. */
export const E2E_CLIENT = {
  clientId: 'e2e-client',
  clientSecret: 'e2e-secret',
  // 127.0.0.1, not localhost: supertest sends Host 127.0.0.1:<port>, so no canonical-host redirect.
  redirectUri: 'http://127.0.0.1:8080/oauth',
  // Every scope a Webex call needs, and one more the service must not ask for.
  scopes: [...WEBEX_CALL_SCOPES, 'spark:kms'],
} as const;

/** The scopes the service must request when the integration grants them all, as it sends them (sorted). */
export const NEEDED_SCOPE = [...WEBEX_CALL_SCOPES].sort().join(' ');

export type SeedHandle = 'alice' | 'bob' | 'carol' | 'mallory';

/** A redirect URI on TLS (as behind a TLS-terminating proxy), for suites that check Secure cookies. */
export const E2E_HTTPS_REDIRECT_URI = 'https://127.0.0.1:8443/oauth';

export interface TestEmulatorOptions extends Partial<EmulatorOptions> {
  /** More redirect URIs registered for the e2e integration, besides E2E_CLIENT.redirectUri. */
  extraRedirectUris?: string[];
  /** The scopes the e2e integration has, when not E2E_CLIENT's (a tutorial-made one has fewer). */
  grantedScopes?: string[];
}

/** A Webex emulator on 127.0.0.1 and an ephemeral port, with the e2e integration registered. */
export function startTestEmulator(options: TestEmulatorOptions = {}): Promise<WebexEmulator> {
  const { extraRedirectUris = [], grantedScopes = [...E2E_CLIENT.scopes], ...emulatorOptions } = options;
  return startWebexEmulator({
    host: '127.0.0.1',
    port: 0,
    clients: [
      {
        clientId: E2E_CLIENT.clientId,
        clientSecret: E2E_CLIENT.clientSecret,
        redirectUris: [E2E_CLIENT.redirectUri, ...extraRedirectUris],
        scopes: grantedScopes,
      },
    ],
    requirePkce: true,
    log: () => undefined,
    ...emulatorOptions,
  });
}

/** The authorize URL exactly as the developer portal shows it for the e2e integration. */
export function portalAuthorizeUrl(
  emulator: WebexEmulator,
  client: { clientId: string; redirectUri: string; scopes: readonly string[] } = E2E_CLIENT,
): string {
  const url = new URL('/v1/authorize', emulator.origin);
  url.search = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: client.scopes.join(' '),
    state: 'set_state_here',
  }).toString();
  return url.toString();
}

export function displayNameOf(emulator: WebexEmulator, handle: SeedHandle): string {
  const user = emulator.users.find((u) => u.handle === handle);
  if (!user) throw new Error(`no seeded user ${handle}`);
  return user.displayName;
}

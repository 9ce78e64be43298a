import { Test } from '@nestjs/testing';
import { configModule } from '../config';
import { WebexApiService } from './webex-api.service';
import { WebexModule } from './webex.module';

// Shared by the src/webex specs only.

export const SPEC_REDIRECT_URI = 'http://127.0.0.1:8080/oauth';

/** A developer's shell may name a proxy; the specs call loopback directly unless they say otherwise. */
const PROXY_ENV = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];

export interface SpecIntegration {
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
}

/**
 * WebexApiService as the app builds it (config from the environment, WebexModule), for an
 * integration registered at `apiBaseUrl`'s Webex. It sets process.env from `base` (less any
 * proxy) and `env`: the caller puts its own environment back after each test.
 */
export async function webexServiceFor(
  apiBaseUrl: string,
  client: SpecIntegration,
  env: Record<string, string> = {},
  base: NodeJS.ProcessEnv = process.env,
): Promise<{ service: WebexApiService; close: () => Promise<void> }> {
  const authInitUrl = new URL(`${apiBaseUrl}/authorize`);
  authInitUrl.search = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: SPEC_REDIRECT_URI,
    scope: client.scopes.join(' '),
  }).toString();
  process.env = {
    ...Object.fromEntries(Object.entries(base).filter(([name]) => !PROXY_ENV.includes(name))),
    NODE_ENV: 'test',
    AUTH_INIT_URL: authInitUrl.href,
    CLIENT_SECRET: client.clientSecret,
    ...env,
  };
  const moduleRef = await Test.createTestingModule({ imports: [configModule(), WebexModule] }).compile();
  await moduleRef.init();
  return { service: moduleRef.get(WebexApiService), close: () => moduleRef.close() };
}

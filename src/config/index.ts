import { ConfigModule, registerAs } from '@nestjs/config';
import { loadConfiguration } from './configuration';

/*
 * Each namespace is computed when an app is created (not when this file is imported),
 * so e2e suites can describe an environment and then build an app from it.
 */
export const appConfig = registerAs('app', () => loadConfiguration().app);
export const oauthConfig = registerAs('oauth', () => loadConfiguration().oauth);
export const webexConfig = registerAs('webex', () => loadConfiguration().webex);
export const sessionConfig = registerAs('session', () => loadConfiguration().session);
export const sandboxConfig = registerAs('sandbox', () => loadConfiguration().sandbox);

/** Reads `.env` when present (the real environment wins) and validates everything. */
export function configModule() {
  return ConfigModule.forRoot({
    isGlobal: true,
    // Test suites describe their whole environment themselves; a developer's .env must not leak in.
    ignoreEnvFile: process.env.NODE_ENV === 'test',
    load: [appConfig, oauthConfig, webexConfig, sessionConfig, sandboxConfig],
  });
}

export { loadConfiguration, NEEDED_SCOPES, SANDBOX_CLIENT } from './configuration';
export type { Configuration } from './configuration';
export { ConfigValidationError } from './env.validation';

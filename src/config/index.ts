import { ConfigModule, registerAs } from '@nestjs/config';
import { loadConfiguration, type Configuration } from './configuration';

/*
 * The namespaces are computed when an app is created (not when this file is imported), so e2e
 * suites can describe an environment and then build an app from it. They share one validation
 * per environment, instead of validating (and reading the dev secret file) once each.
 */
let last: { env: string; config: Configuration } | undefined;
function current(): Configuration {
  const env = JSON.stringify(process.env);
  if (last?.env !== env) last = { env, config: loadConfiguration() };
  return last.config;
}

export const appConfig = registerAs('app', () => current().app);
export const oauthConfig = registerAs('oauth', () => current().oauth);
export const webexConfig = registerAs('webex', () => current().webex);
export const sessionConfig = registerAs('session', () => current().session);
export const sandboxConfig = registerAs('sandbox', () => current().sandbox);
export const metricsConfig = registerAs('metrics', () => current().metrics);

/** Reads `.env` when present (the real environment wins) and validates everything. */
export function configModule() {
  return ConfigModule.forRoot({
    isGlobal: true,
    // Test suites describe their whole environment themselves; a developer's .env must not leak in.
    ignoreEnvFile: process.env.NODE_ENV === 'test',
    load: [appConfig, oauthConfig, webexConfig, sessionConfig, sandboxConfig, metricsConfig],
  });
}

export { loadConfiguration, SANDBOX_CLIENT } from './configuration';
export type { Configuration } from './configuration';
export { ConfigValidationError } from './env.validation';
export { apiConfig, loadApiConfiguration, type ApiConfiguration } from './api.config';
export { redisCredentialsOf } from './redis-url';

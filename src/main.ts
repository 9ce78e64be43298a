// First: every module loaded after it can come from Node's compile cache.
import './compile-cache';
import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { APP_OPTIONS, configureApp } from './app.setup';
import { apiConfig, ConfigValidationError, loadConfiguration, type Configuration } from './config';
import { useAppLogger } from './logging';
import { portClashMessage } from './port-clash';
import { handleShutdownSignals } from './shutdown';

/** Kept for the final catch: a port clash there is named by the variable whose port is busy. */
let startupConfig: Configuration | undefined;

function portsOf(config: Configuration): { port: number; sandboxPort?: number; metricsPort?: number } {
  return {
    port: config.app.port,
    sandboxPort: config.sandbox.enabled ? config.sandbox.port : undefined,
    metricsPort: config.metrics.port || undefined,
  };
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function bootstrap(): Promise<void> {
  await ConfigModule.envVariablesLoaded;
  let config: Configuration;
  try {
    config = loadConfiguration();
    startupConfig = config;
    // The JSON API's own namespace (src/config/api.config.ts): checked here too, for the same clean message.
    apiConfig();
  } catch (error) {
    if (error instanceof ConfigValidationError) fail(error.message);
    throw error;
  }

  // Lines from start-up are held until pino (configured by LoggingModule) takes over, then written through it.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    ...APP_OPTIONS,
    bufferLogs: true,
  });
  useAppLogger(app);
  configureApp(app);
  handleShutdownSignals(app, config.app.shutdownGraceMs);
  try {
    await app.listen(config.app.port, config.app.host ?? '::');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE')
      fail(portClashMessage(error, portsOf(config)) ?? `Port ${config.app.port} is already in use.`);
    throw error;
  }

  const logger = new Logger('Startup');
  for (const warning of config.app.warnings) logger.warn(warning);
  if (config.session.generatedSecret) {
    logger.log('No SESSION_SECRET set: using a random one, so sessions end when the service restarts.');
  }
  logger.log(
    config.app.mode === 'sandbox'
      ? 'Mode: sandbox (a local Webex emulator stands in for Webex; set AUTH_INIT_URL to use real Webex)'
      : `Mode: Webex (${config.webex.apiBaseUrl})`,
  );
  logger.log(`Client id: ${config.oauth.clientId}`);
  logger.log(`Redirect URI: ${config.oauth.redirectUri}`);
  logger.log(`Open ${config.oauth.publicOrigin}/ in your browser to start.`);
}

/** Nest's route conflict names the controllers; the callback's path is the operator's to change. */
function callbackClashHint(message: string): string {
  if (!startupConfig || !/OAuthCallbackController#callback/.test(message)) return '';
  return `\nThe sign-in callback is at ${startupConfig.oauth.callbackPath}, the path of AUTH_INIT_URL’s redirect_uri, which is also one of this service’s pages: use a path of its own, such as /oauth, in the integration and in AUTH_INIT_URL.`;
}

bootstrap().catch((error: unknown) => {
  const clash = startupConfig ? portClashMessage(error, portsOf(startupConfig)) : undefined;
  if (clash) fail(clash);
  const message = error instanceof Error ? error.message : String(error);
  fail(`The service could not start: ${message}${callbackClashHint(message)}`);
});

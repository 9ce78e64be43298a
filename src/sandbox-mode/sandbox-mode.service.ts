import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { join } from 'node:path';
import { appConfig, oauthConfig, sandboxConfig } from '../config';
import { startWebexEmulator, type WebexEmulator } from '../sandbox';
import { WEBEX_CALL_SCOPES } from '../webex';

/**
 * In sandbox mode the service starts its own Webex emulator and registers itself there as an
 * integration, so the whole flow runs with no account and no network.
 */
@Injectable()
export class SandboxModeService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Sandbox');
  private emulator?: WebexEmulator;

  /** The running emulator, in sandbox mode: its test controls let the browser suite show Webex failures. */
  get running(): WebexEmulator | undefined {
    return this.emulator;
  }

  constructor(
    @Inject(sandboxConfig.KEY) private readonly sandbox: ConfigType<typeof sandboxConfig>,
    @Inject(oauthConfig.KEY) private readonly oauth: ConfigType<typeof oauthConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.sandbox.enabled) return;
    this.emulator = await startWebexEmulator({
      host: this.sandbox.host,
      port: this.sandbox.port,
      clients: [
        {
          clientId: this.oauth.clientId,
          clientSecret: this.oauth.clientSecret,
          redirectUris: [this.oauth.redirectUri],
          // Every scope some call needs, spark:kms as a portal-made integration has it, and Login with Webex's.
          scopes: [...WEBEX_CALL_SCOPES, 'spark:kms', 'openid', 'email', 'profile'],
        },
      ],
      requirePkce: true,
      // Development: the emulator's tokens survive `nest start --watch` restarts like the sessions do.
      stateFile: this.app.devStateDir ? join(this.app.devStateDir, 'sandbox-state.json') : undefined,
      log: (line) => this.logger.log(line),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.emulator?.close();
    this.emulator = undefined;
  }
}
